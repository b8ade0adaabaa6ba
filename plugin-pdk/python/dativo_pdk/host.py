"""Secrets, logging and incremental state from the host (inside the Dativo sandbox only)."""


def _hc():
    try:
        import _dativo_hostcall
    except ImportError:
        raise RuntimeError("not inside the Dativo sandbox: pass `store` / `send` to the helper") from None
    return _dativo_hostcall


def secret(name):
    """A secret the job grants (`plugin.allow.secrets`); anything else raises KeyError naming the denial."""
    return _hc().secret(name)


def log(level, message):
    _hc().call("log", level=level, message=str(message))


class HostState:
    """The committed state of the job; `set` is committed with the batches read before it."""

    def __init__(self, initial=None):
        self._values = dict(initial or {})

    def get(self, key):
        v = self._values.get(key)
        return None if v is None else str(v)

    def set(self, key, value):
        self._values[key] = value
        _hc().call("state_set", key=key, value=value)


class MemoryState:
    """A state store in a dict (tests, `plugin test`)."""

    def __init__(self, initial=None):
        self.values = dict(initial or {})

    def get(self, key):
        return self.values.get(key)

    def set(self, key, value):
        self.values[key] = value
