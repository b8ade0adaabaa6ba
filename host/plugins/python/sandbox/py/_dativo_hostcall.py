"""The one door from Python to the host: `call(op, **args)` is a synchronous framed round trip.

Importing this module also closes the doors a plugin should not use: the JS bridge modules are
dropped from `sys.modules` and refused by name, and any module outside the standard library (and
the compatibility modules beside this file) fails with an error naming it.
"""
import json
import sys

from _dativo_host import call as _js_call

# The JS bridge modules, refused by name. This only makes the error clear: Pyodide's own `pyodide`
# package stays importable (it imports itself lazily), and any JS proxy leads to the Function
# constructor. What holds is around Deno: no permissions, bubblewrap, and the host's checks.
_BRIDGE = ("js", "pyodide_js", "_dativo_host", "micropip")


def call(op, **args):
    return json.loads(_js_call(op, json.dumps(args, default=str)))


class _Refuse:
    """First on sys.meta_path: the JS bridge modules."""

    def find_spec(self, name, path=None, target=None):
        root = name.split(".")[0]
        if root in _BRIDGE:
            raise ModuleNotFoundError(
                f"module '{name}' is not available in the Dativo Python sandbox (no access to the JS bridge)",
                name=name,
            )
        return None


class _NotInSandbox:
    """Last on sys.meta_path: whatever no other finder knows."""

    def find_spec(self, name, path=None, target=None):
        raise ModuleNotFoundError(
            f"module '{name}' is not available in the Dativo Python sandbox: it has the Python standard "
            "library, `requests` (over the host's HTTP) and `dativo_ingest` only",
            name=name,
        )


def seal():
    for name in list(sys.modules):
        if name.split(".")[0] in _BRIDGE:
            del sys.modules[name]
    sys.meta_path.insert(0, _Refuse())
    sys.meta_path.append(_NotInSandbox())


def secret(name):
    """A secret the job grants the plugin; anything else raises KeyError with the host's denial."""
    r = call("secret", name=name)
    if not r.get("ok"):
        raise KeyError(r.get("error") or f"secret {name!r} is not available")
    return r["value"]
