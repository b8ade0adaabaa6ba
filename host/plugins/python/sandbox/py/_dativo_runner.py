"""The Python half of the runner: loads the job's plugin class and answers the host's requests.

Everything here runs inside Pyodide, inside Deno, inside bubblewrap. It is not the security
boundary (Python code can reach the JS side through any proxy); the host checks every call.
"""
import importlib.util
import json
import os
import sys
import traceback

import _dativo_hostcall as _hc
from dativo_ingest.plugins import (
    BaseReader,
    BaseWriter,
    ConnectionTestResult,
    DiscoveryResult,
    SourceConfig,
    StateManager,
    TargetConfig,
)

_plugin = None
_batches = None
_state = None
_plugin_file = None


def _where(exc):
    """`file.py:LINE` of the innermost frame in the plugin's own file, if any."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == _plugin_file]
    if not frames:
        return ""
    f = frames[-1]
    return f" (at {os.path.basename(f.filename)}:{f.lineno})"


def _load_class(path, class_name, base):
    global _plugin_file
    _plugin_file = path
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    cls = getattr(module, class_name, None)
    if cls is None:
        raise LookupError(f"{os.path.basename(path)} defines no class {class_name}")
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise TypeError(f"{class_name} in {os.path.basename(path)} is not a subclass of {base.__name__}")
    return cls


def _columns(rows):
    names = []
    seen = set()
    for r in rows:
        if not isinstance(r, dict):
            raise TypeError(f"extract() must yield lists of dicts, got a list containing {type(r).__name__}")
        for k in r:
            if k not in seen:
                seen.add(k)
                names.append(k)
    columns = [[r.get(n) for r in rows] for n in names]
    return {"batch": True, "rows": len(rows), "names": [str(n) for n in names], "columns": columns}


def _open(req):
    global _plugin, _state
    _state = StateManager(req.get("state") or {})
    if req["role"] == "reader":
        cls = _load_class(req["module"], req["class"], BaseReader)
        _plugin = cls(SourceConfig(req["config"]))
    else:
        cls = _load_class(req["module"], req["class"], BaseWriter)
        target = TargetConfig(req["config"])
        os.makedirs(req["output_base"], exist_ok=True)  # the host lists it at commit
        _plugin = cls(req.get("asset") or {}, target, req["output_base"])
    return None


def _next(req):
    global _batches
    if _batches is None:
        out = _plugin.extract(_state)
        _batches = iter(out if out is not None else [])
    for rows in _batches:
        if rows:
            return _columns(list(rows))
    return {"end": True}


def _check(req):
    r = _plugin.check_connection()
    if isinstance(r, ConnectionTestResult):
        return {"status": "success" if r.success else "failed", "message": r.message or ""}
    if isinstance(r, dict):
        ok = r.get("success", r.get("status") == "success")
        return {"status": "success" if ok else "failed", "message": str(r.get("message", ""))}
    return {"status": "success" if r else "failed", "message": ""}


def _discover(req):
    r = _plugin.discover()
    if isinstance(r, DiscoveryResult):
        return {"objects": r.objects, "metadata": r.metadata}
    return r if isinstance(r, dict) else {"objects": [], "metadata": {}}


def _write(req):
    result = _plugin.write_batch(req["records"], req["file_counter"])
    return {"files": list(result or [])}


def _commit(req):
    r = _plugin.commit_files(req["files"])
    return r if isinstance(r, dict) else {"result": str(r)}


def _close(req):
    close = getattr(_plugin, "close", None)
    if callable(close):
        close()
    return None


_OPS = {
    "open": _open,
    "next": _next,
    "check": _check,
    "discover": _discover,
    "write": _write,
    "commit": _commit,
    "close": _close,
}


def handle(request_json):
    req = json.loads(request_json)
    op = _OPS.get(req.get("op"))
    if op is None:
        raise ValueError(f"unknown request {req.get('op')!r}")
    try:
        return json.dumps({"value": op(req)}, default=str)
    except Exception as e:  # the host reports it as the plugin's error, with the plugin's line
        return json.dumps({"error": f"{type(e).__name__}: {e}{_where(e)}"})
