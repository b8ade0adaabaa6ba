"""The Dativo Python PDK: helpers for readers that call APIs, standard library only.

The same helpers as the TypeScript PDK (plugin-pdk/ts), in Python spelling: `paginate` with
`cursor_paging` / `offset_paging` / `page_paging` / `link_paging`, `with_retry`, `RateLimiter`,
`OAuth2ClientCredentials`, `IncrementalCursor`. Each takes a `send(request) -> HttpResponse`
(default: the host's, through the job's grant) so it can be tested anywhere.
"""
from .errors import PluginError
from .host import HostState, MemoryState, log, secret
from .http import HttpResponse, request, with_query
from .incremental import IncrementalCursor
from .oauth2 import OAuth2ClientCredentials
from .paginate import Page, cursor_paging, link_paging, offset_paging, page_paging, paginate, parse_link_header
from .rate_limit import RateLimiter
from .reader import Reader
from .retry import retry_after_ms, with_retry

__version__ = "0.1.0"

__all__ = [
    "HostState",
    "HttpResponse",
    "IncrementalCursor",
    "MemoryState",
    "OAuth2ClientCredentials",
    "Page",
    "PluginError",
    "RateLimiter",
    "Reader",
    "cursor_paging",
    "link_paging",
    "log",
    "offset_paging",
    "page_paging",
    "paginate",
    "parse_link_header",
    "request",
    "retry_after_ms",
    "secret",
    "with_query",
    "with_retry",
]
