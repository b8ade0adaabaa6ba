"""Requests and responses as the helpers see them, and the host's `send`.

A request is a dict `{"method", "url", "headers", "body"}` (as the TypeScript PDK's HttpRequest);
`send(request) -> HttpResponse` is one exchange. In the sandbox the default `send` goes through
the host (only granted hosts); the helpers take any other `send`, so they run in plain CPython
for their tests.
"""
import base64
import json
import urllib.parse


class HttpResponse:
    def __init__(self, status, headers=None, body=b"", url=""):
        self.status = int(status)
        self.headers = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
        self.body = body if isinstance(body, bytes) else str(body).encode("utf-8")
        self.url = url

    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.text())


def with_query(req, params):
    """A copy of `req` with query parameters set (others kept)."""
    parts = urllib.parse.urlsplit(req["url"])
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in params.items()})
    url = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
    return {**req, "url": url}


def _hostcall():
    try:
        import _dativo_hostcall  # present only inside the Dativo sandbox
    except ImportError:
        return None
    return _dativo_hostcall


def request(req):
    """One request through the host (granted host:port and methods only; size and time capped)."""
    from .errors import PluginError

    hc = _hostcall()
    if hc is None:
        raise RuntimeError("no host HTTP here: pass `send` to the helper")
    body = req.get("body")
    if isinstance(body, str):
        body = body.encode("utf-8")
    args = {"method": req.get("method", "GET"), "url": req["url"], "headers": req.get("headers") or {}}
    if body is not None:
        args["body"] = base64.b64encode(body).decode("ascii")
    r = hc.call("http", **args)
    if not r.get("ok"):
        code = r.get("code") or "HTTP_ERROR"
        raise PluginError(code, r.get("error") or "the request failed", code == "CONNECTION_FAILED")
    return HttpResponse(r["status"], r.get("headers"), base64.b64decode(r.get("body") or ""), r.get("url"))


def host_send(send=None):
    return send or request
