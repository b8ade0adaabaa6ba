"""A `requests`-compatible subset for plugins in the Dativo sandbox, over the host's HTTP.

Every request is a host call: the host sends it only to a `host:port` the job grants (redirects
re-checked, size and time capped, retries on 429/502/503/504), with the same policy and audit as
WebAssembly plugins. A denied host raises `ConnectionError` whose message is the host's denial.
Provided: `get`, `post`, `put`, `patch`, `delete`, `head`, `request`, `Session`, `Response`
(`status_code`, `headers`, `content`, `text`, `json()`, `ok`, `raise_for_status()`, `links`,
`url`), `params=`, `headers=`, `data=`, `json=`, `auth=(user, password)`, `timeout=`, and the
exceptions `RequestException`, `ConnectionError`, `HTTPError`, `Timeout`, `TooManyRedirects`.
Standard library only.
"""
import base64
import json as _json
import urllib.parse

import _dativo_hostcall as _hc

__version__ = "2.32.0-dativo"

from . import exceptions  # noqa: E402
from .exceptions import (  # noqa: E402,F401
    ConnectionError,
    HTTPError,
    JSONDecodeError,
    ReadTimeout,
    RequestException,
    Timeout,
    TooManyRedirects,
)

_REASONS = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 301: "Moved Permanently",
    302: "Found", 304: "Not Modified", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 409: "Conflict", 422: "Unprocessable Entity", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}


class CaseInsensitiveDict(dict):
    """Header names in any case (stored lower-case, as the host hands them over)."""

    def __init__(self, data=None):
        super().__init__()
        for k, v in (data or {}).items():
            self[k] = v

    def __setitem__(self, key, value):
        super().__setitem__(str(key).lower(), value)

    def __getitem__(self, key):
        return super().__getitem__(str(key).lower())

    def __contains__(self, key):
        return super().__contains__(str(key).lower())

    def get(self, key, default=None):
        return super().get(str(key).lower(), default)


def _parse_links(value):
    """`Link` header relations → {rel: {"url": ..., "rel": ...}}, as requests' `Response.links`."""
    links = {}
    for part in (value or "").split(","):
        bits = part.strip().split(";")
        url = bits[0].strip().strip("<>")
        if not url:
            continue
        params = {}
        for b in bits[1:]:
            if "=" in b:
                k, v = b.split("=", 1)
                params[k.strip().lower()] = v.strip().strip('"')
        params["url"] = url
        for rel in params.get("rel", url).split():
            links.setdefault(rel, params)
    return links


class Response:
    def __init__(self, status_code, headers, content, url, request=None):
        self.status_code = status_code
        self.headers = CaseInsensitiveDict(headers)
        self.content = content
        self.url = url
        self.request = request
        self.reason = _REASONS.get(status_code, "")
        self.encoding = "utf-8"

    @property
    def text(self):
        return self.content.decode(self.encoding or "utf-8", errors="replace")

    def json(self, **kwargs):
        try:
            return _json.loads(self.text, **kwargs)
        except ValueError as e:
            raise JSONDecodeError(f"{self.url}: the body is not JSON ({e})", response=self) from None

    @property
    def ok(self):
        return self.status_code < 400

    @property
    def links(self):
        return _parse_links(self.headers.get("link"))

    def raise_for_status(self):
        if 400 <= self.status_code < 600:
            kind = "Client" if self.status_code < 500 else "Server"
            raise HTTPError(
                f"{self.status_code} {kind} Error: {self.reason} for url: {self.url}", response=self
            )

    def iter_lines(self, decode_unicode=False):
        for line in self.content.splitlines():
            yield line.decode(self.encoding or "utf-8") if decode_unicode else line

    def close(self):
        pass

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return f"<Response [{self.status_code}]>"


def _with_params(url, params):
    if not params:
        return url
    pairs = params.items() if isinstance(params, dict) else params
    flat = []
    for k, v in pairs:
        for x in v if isinstance(v, (list, tuple)) else [v]:
            if x is not None:
                flat.append((k, x))
    parts = urllib.parse.urlsplit(url)
    query = "&".join(p for p in [parts.query, urllib.parse.urlencode(flat)] if p)
    return urllib.parse.urlunsplit(parts._replace(query=query))


def _body(data, json, headers):
    if json is not None:
        headers.setdefault("content-type", "application/json")
        return _json.dumps(json).encode("utf-8")
    if data is None:
        return None
    if isinstance(data, (dict, list, tuple)):
        headers.setdefault("content-type", "application/x-www-form-urlencoded")
        return urllib.parse.urlencode(data, doseq=True).encode("utf-8")
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _timeout_seconds(timeout):
    if isinstance(timeout, (tuple, list)):
        parts = [t for t in timeout if t is not None]
        return sum(parts) if parts else None
    return timeout


def _send(method, url, headers, body, timeout):
    args = {"method": method.upper(), "url": url, "headers": headers}
    if body is not None:
        args["body"] = base64.b64encode(body).decode("ascii")
    seconds = _timeout_seconds(timeout)
    if seconds is not None:
        args["timeout"] = seconds
    r = _hc.call("http", **args)
    if not r.get("ok"):
        message = r.get("error") or "the request failed"
        code = r.get("code")
        if code == "TIMEOUT":
            raise ReadTimeout(message)
        if code == "TOO_MANY_REDIRECTS":
            raise TooManyRedirects(message)
        # A denial, a refused connection, a body over the cap: requests calls all of these
        # ConnectionError, and the original readers catch that.
        raise ConnectionError(message)
    return Response(
        int(r["status"]), r.get("headers") or {}, base64.b64decode(r.get("body") or ""), r.get("url") or url
    )


class Session:
    def __init__(self):
        self.headers = CaseInsensitiveDict({"user-agent": "dativo-python-requests", "accept": "*/*"})
        self.params = {}
        self.auth = None

    def request(self, method, url, params=None, data=None, headers=None, json=None, auth=None,
                timeout=None, allow_redirects=True, **_ignored):
        merged = CaseInsensitiveDict(self.headers)
        for k, v in (headers or {}).items():
            if v is None:
                merged.pop(str(k).lower(), None)
            else:
                merged[k] = v
        auth = auth or self.auth
        if isinstance(auth, (tuple, list)) and len(auth) == 2:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode("utf-8")).decode("ascii")
            merged["authorization"] = f"Basic {token}"
        elif callable(auth):
            auth(merged)
        all_params = dict(self.params)
        if params:
            all_params.update(params if isinstance(params, dict) else dict(params))
        full = _with_params(url, all_params)
        body = _body(data, json, merged)
        return _send(method, full, {k: str(v) for k, v in merged.items()}, body, timeout)

    def get(self, url, params=None, **kw):
        return self.request("GET", url, params=params, **kw)

    def head(self, url, **kw):
        return self.request("HEAD", url, **kw)

    def post(self, url, data=None, json=None, **kw):
        return self.request("POST", url, data=data, json=json, **kw)

    def put(self, url, data=None, **kw):
        return self.request("PUT", url, data=data, **kw)

    def patch(self, url, data=None, **kw):
        return self.request("PATCH", url, data=data, **kw)

    def delete(self, url, **kw):
        return self.request("DELETE", url, **kw)

    def close(self):
        pass

    def mount(self, *_args, **_kw):
        """Adapters (retries, pools) are the host's business; accepted and ignored."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def session():
    return Session()


def request(method, url, **kw):
    return Session().request(method, url, **kw)


def get(url, params=None, **kw):
    return request("GET", url, params=params, **kw)


def head(url, **kw):
    return request("HEAD", url, **kw)


def post(url, data=None, json=None, **kw):
    return request("POST", url, data=data, json=json, **kw)


def put(url, data=None, **kw):
    return request("PUT", url, data=data, **kw)


def patch(url, data=None, **kw):
    return request("PATCH", url, data=data, **kw)


def delete(url, **kw):
    return request("DELETE", url, **kw)
