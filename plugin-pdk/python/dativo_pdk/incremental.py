"""The high-water mark of an incremental read, kept in the plugin's state (committed by the host
with the data), as the TS PDK's IncrementalCursor: `value` is where the last committed run
stopped (or `initial`); `observe` each record's cursor field; `save` after a batch."""
import datetime


def natural_order(a, b):
    """Numbers as numbers, anything else as strings (ISO-8601 sorts as text)."""
    try:
        if a.strip() and b.strip():
            x, y = float(a), float(b)
            return (x > y) - (x < y)
    except ValueError:
        pass
    return (a > b) - (a < b)


class IncrementalCursor:
    def __init__(self, key, initial=None, compare=None, store=None):
        if store is None:
            from .host import HostState

            store = HostState()
        self.key = key
        self.store = store
        self.compare = compare or natural_order
        committed = store.get(key)
        self.value = committed if committed is not None else initial
        self._max = self.value

    @property
    def latest(self):
        return self._max

    def observe(self, v):
        if v is None:
            return
        s = v.isoformat() if isinstance(v, (datetime.date, datetime.datetime)) else str(v)
        if self._max is None or self.compare(s, self._max) > 0:
            self._max = s

    def save(self):
        if self._max is not None:
            self.store.set(self.key, self._max)
