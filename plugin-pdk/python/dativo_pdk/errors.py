"""A plugin reports failure by raising `PluginError(code, message, retryable)`; the host reports it
as PLUGIN_ERROR with the message (as the TypeScript PDK's PluginError)."""


class PluginError(Exception):
    def __init__(self, code, message, retryable=False):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable

    def __str__(self):
        return f"{self.code}: {self.message}"


def retryable(e):
    """True for a failure worth another attempt: a PluginError so marked, or a connection failure."""
    if isinstance(e, PluginError):
        return e.retryable
    return type(e).__name__ in ("ConnectionError", "ReadTimeout", "Timeout", "ConnectTimeout")
