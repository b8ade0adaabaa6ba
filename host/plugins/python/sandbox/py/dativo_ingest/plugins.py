"""The original plugin interface (`dativo_ingest.plugins`, SDK 1.0.0), for files written for it.

`BaseReader(source_config)` with `extract(state_manager=None)` yielding lists of dicts;
`BaseWriter(asset_definition, target_config, output_base)` with `write_batch(records, file_counter)`
returning `[{path, size_bytes, record_count}]` and `commit_files(file_metadata)`. Standard library
only: it runs inside the Pyodide sandbox.
"""
import logging

import _dativo_hostcall as _hc

__version__ = "1.0.0"


class _HostLogHandler(logging.Handler):
    """Plugin `logging` goes to the run's log through the host (which masks and budgets it)."""

    def emit(self, record):
        level = {"DEBUG": "debug", "INFO": "info", "WARNING": "warn"}.get(record.levelname, "error")
        _hc.call("log", level=level, message=self.format(record))


_handler = _HostLogHandler()
_handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
logging.basicConfig(level=logging.INFO, handlers=[_handler], force=True)


class _Config:
    """Attribute and dict access over the config the host hands in (the original used pydantic)."""

    _fields = ()

    def __init__(self, data):
        self._data = dict(data or {})
        for f in self._fields:
            setattr(self, f, self._data.get(f))

    def get(self, key, default=None):
        return self._data.get(key, default)

    def __getitem__(self, key):
        return self._data[key]

    def model_dump(self):
        return dict(self._data)

    dict = model_dump


class SourceConfig(_Config):
    _fields = ("type", "connection", "credentials", "objects", "files", "incremental", "engine")


class TargetConfig(_Config):
    _fields = ("type", "connection", "file_format", "engine", "partitioning")


class ConnectionTestResult:
    def __init__(self, success, message="", error_code=None, details=None):
        self.success = bool(success)
        self.message = message
        self.error_code = error_code
        self.details = details or {}

    def to_dict(self):
        return {
            "success": self.success,
            "message": self.message,
            "error_code": self.error_code,
            "details": self.details,
        }


class DiscoveryResult:
    def __init__(self, objects=None, metadata=None):
        self.objects = list(objects or [])
        self.metadata = dict(metadata or {})

    def to_dict(self):
        return {"objects": self.objects, "metadata": self.metadata}


class StateManager:
    """The state argument of `extract`: the job's last committed state; writes go to the host.

    What is set here is committed only when the batches read before it are durable.
    """

    def __init__(self, state):
        self.state = dict(state)

    def get(self, key, default=None):
        return self.state.get(key, default)

    def set(self, key, value):
        self.state[key] = value
        _hc.call("state_set", key=key, value=value)

    # Names of the original's file-state helpers.
    def get_file_state(self, file_id):
        return self.state.get(f"file_{file_id}")

    def update_file_state(self, file_id, last_modified):
        self.set(f"file_{file_id}", {"last_modified": last_modified, "file_id": file_id})


class BaseReader:
    __version__ = "1.0.0"

    def __init__(self, source_config):
        self.source_config = source_config

    def extract(self, state_manager=None):
        raise NotImplementedError("a reader must implement extract()")

    def check_connection(self):
        return ConnectionTestResult(True, "check_connection not implemented; assumed reachable")

    def discover(self):
        return DiscoveryResult([], {})

    def get_total_records_estimate(self):
        return None


class BaseWriter:
    __version__ = "1.0.0"

    def __init__(self, asset_definition, target_config, output_base):
        self.asset_definition = asset_definition
        self.target_config = target_config
        self.output_base = output_base

    def write_batch(self, records, file_counter):
        raise NotImplementedError("a writer must implement write_batch()")

    def commit_files(self, file_metadata):
        return {"status": "success", "files_added": len(file_metadata)}

    def check_connection(self):
        return ConnectionTestResult(True, "check_connection not implemented; assumed writable")
