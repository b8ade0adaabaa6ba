"""`Reader`: the base class of a new-style Python reader. Implement `read(config, state)` yielding
lists of dicts (one list = one batch). Inside the sandbox it is also a `BaseReader` of the
original interface, so the runtime runs it like any `custom_reader`."""
try:
    from dativo_ingest.plugins import BaseReader as _Base  # inside the Dativo sandbox
except ImportError:  # plain CPython (the PDK's own tests)

    class _Base:
        def __init__(self, source_config):
            self.source_config = source_config


class Reader(_Base):
    def __init__(self, source_config=None):
        super().__init__(source_config if source_config is not None else {})

    @property
    def config(self):
        """The job's `source` block (without credentials) as a dict."""
        c = self.source_config
        return c.model_dump() if hasattr(c, "model_dump") else dict(c or {})

    def read(self, config, state):
        raise NotImplementedError("a Reader must implement read(config, state)")

    def extract(self, state_manager=None):
        from .host import HostState

        state = state_manager if state_manager is not None else HostState()
        yield from self.read(self.config, state)
