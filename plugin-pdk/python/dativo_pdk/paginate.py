"""Page after page of a REST API: `paginate(req, paging)` yields pages until the paging says
there is no next one (a cursor from the body, an offset, a page number, or the `Link` header).
Same names and meaning as the TypeScript PDK (cursorPaging → cursor_paging, …)."""
import re
import urllib.parse

from .errors import PluginError
from .http import host_send, with_query


class Page:
    def __init__(self, items, response, page_index):
        self.items = items
        self.response = response
        self.page_index = page_index


def _pick(body, where):
    if callable(where):
        return where(body)
    v = body
    for key in [k for k in where.split(".") if k]:
        if not isinstance(v, dict):
            return None
        v = v.get(key)
    return v


def _items_at(body, where):
    items = _pick(body, where)
    if not isinstance(items, list):
        at = f'"{where or "(the body)"}"' if isinstance(where, str) else "the items function"
        raise PluginError("BAD_RESPONSE", f"response: {at} is not a list of items")
    return items


def paginate(req, paging, send=None, max_pages=None):
    """Pages of `req`. A status other than 2xx ends it with a PluginError naming the URL."""
    send = host_send(send)
    current = paging.first(req)
    index = 0
    while current is not None and (max_pages is None or index < max_pages):
        response = send(current)
        if not 200 <= response.status <= 299:
            code = "AUTHENTICATION_FAILED" if response.status in (401, 403) else "HTTP_ERROR"
            raise PluginError(
                code,
                f"{current.get('method', 'GET')} {current['url']} answered {response.status} (page {index + 1})",
                response.status == 429 or response.status >= 500,
            )
        try:
            body = response.json()
        except ValueError:
            raise PluginError("BAD_RESPONSE", f"{current['url']}: the body is not JSON (page {index + 1})") from None
        page = Page(paging.items(body), response, index)
        yield page
        current = paging.next(current, page, body)
        index += 1


class _Paging:
    def __init__(self, items):
        self._items = items

    def items(self, body):
        return _items_at(body, self._items)


class cursor_paging(_Paging):  # noqa: N801 (a function-like name, as in the TS PDK)
    """A cursor the body carries (`next_cursor`), sent back as `cursor_param`; empty or absent ends."""

    def __init__(self, next_cursor, items, cursor_param="cursor"):
        super().__init__(items)
        self.next_cursor = next_cursor
        self.param = cursor_param

    def first(self, req):
        return req

    def next(self, req, page, body):
        cursor = _pick(body, self.next_cursor)
        return None if cursor in (None, "") else with_query(req, {self.param: cursor})


class offset_paging(_Paging):  # noqa: N801
    """`?offset=&limit=`; a page shorter than `limit` is the last."""

    def __init__(self, limit, items, offset_param="offset", limit_param="limit", start=0):
        super().__init__(items)
        self.limit = limit
        self.offset = start
        self.offset_param = offset_param
        self.limit_param = limit_param

    def first(self, req):
        return with_query(req, {self.offset_param: self.offset, self.limit_param: self.limit})

    def next(self, req, page, body):
        if len(page.items) < self.limit:
            return None
        self.offset += len(page.items)
        return with_query(req, {self.offset_param: self.offset, self.limit_param: self.limit})


class page_paging(_Paging):  # noqa: N801
    """`?page=1,2,…`; an empty page (or, with `page_size`, a short one) is the last."""

    def __init__(self, items, page_param="page", start=1, page_size_param=None, page_size=None):
        super().__init__(items)
        self.page = start
        self.page_param = page_param
        self.page_size = page_size
        self.size = {page_size_param: page_size} if page_size is not None and page_size_param else {}

    def first(self, req):
        return with_query(req, {self.page_param: self.page, **self.size})

    def next(self, req, page, body):
        if not page.items or (self.page_size is not None and len(page.items) < self.page_size):
            return None
        self.page += 1
        return with_query(req, {self.page_param: self.page, **self.size})


def parse_link_header(value, base=None):
    """`Link` header relations (RFC 8288) → URL, resolved against `base` when given."""
    links = {}
    for m in re.finditer(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)", value or ""):
        rel = re.search(r';\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))', m.group(2) or "", re.I)
        names = ((rel.group(1) or rel.group(2)) if rel else "").split()
        for name in names:
            links.setdefault(name.lower(), urllib.parse.urljoin(base, m.group(1)) if base else m.group(1))
    return links


class link_paging(_Paging):  # noqa: N801
    """Follows `Link: <url>; rel="next"`; no `next` is the last page."""

    def first(self, req):
        return req

    def next(self, req, page, body):
        nxt = parse_link_header(page.response.headers.get("link"), req["url"]).get("next")
        return {**req, "url": nxt} if nxt else None
