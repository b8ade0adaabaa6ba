//! Pagination for HTTP readers. Retries, Retry-After and rate limits are the host's (the plugin
//! has no clock); this only walks pages: one request per page, the next request derived from
//! the last response, until there is none.

use crate::error::{Error, Result};
use crate::host::{http_request, HttpRequest, HttpResponse};

/// Walks pages one at a time, e.g. one page per `next_batch`.
#[derive(Clone, Debug)]
pub struct Pager {
    next: Option<HttpRequest>,
    pages: u64,
    max_pages: u64,
}

impl Pager {
    pub fn new(first: HttpRequest) -> Self {
        Pager { next: Some(first), pages: 0, max_pages: u64::MAX }
    }
    /// Stops after `n` pages (a guard against an API that never says "last page").
    pub fn max_pages(mut self, n: u64) -> Self {
        self.max_pages = n;
        self
    }
    pub fn is_done(&self) -> bool {
        self.next.is_none() || self.pages >= self.max_pages
    }
    pub fn pages(&self) -> u64 {
        self.pages
    }
    /// The request the next call will send (e.g. to save as state).
    pub fn pending(&self) -> Option<&HttpRequest> {
        self.next.as_ref()
    }
    /// Fetches the next page, or `None` when done. `next` derives the following request from
    /// this page (`None`: this was the last page). A non-2xx status is an `Err` (`HTTP_<status>`;
    /// retryable for 429 and 5xx, which the host has already retried per its policy).
    pub fn next_page(
        &mut self,
        next: impl FnOnce(&HttpResponse, &HttpRequest) -> Result<Option<HttpRequest>>,
    ) -> Result<Option<HttpResponse>> {
        if self.is_done() {
            return Ok(None);
        }
        let Some(req) = self.next.take() else { return Ok(None) };
        let resp = http_request(&req, None)?;
        check_status(&req, &resp)?;
        self.pages += 1;
        self.next = next(&resp, &req)?;
        Ok(Some(resp))
    }
}

/// Fetches every page, handing each to `on_page`, which returns the next request (or `None`).
/// Returns the number of pages.
pub fn paginate(
    first: HttpRequest,
    mut on_page: impl FnMut(&HttpResponse, &HttpRequest) -> Result<Option<HttpRequest>>,
) -> Result<u64> {
    let mut pager = Pager::new(first);
    while pager.next_page(&mut on_page)?.is_some() {}
    Ok(pager.pages())
}

/// `Err` for a non-2xx response.
pub fn check_status(req: &HttpRequest, resp: &HttpResponse) -> Result<()> {
    if resp.is_success() {
        return Ok(());
    }
    let mut snippet = resp.text();
    if snippet.len() > 200 {
        let mut cut = 200;
        while !snippet.is_char_boundary(cut) {
            cut -= 1;
        }
        snippet.truncate(cut);
    }
    let e = Error::new(format!("HTTP_{}", resp.status), format!("{} {} answered {}: {snippet}", req.method, req.url, resp.status));
    Err(if resp.status == 429 || resp.status >= 500 { Error { retryable: true, ..e } } else { e })
}

/// The `rel="next"` target of a `Link` header, if any.
pub fn next_link(resp: &HttpResponse) -> Option<String> {
    let link = resp.header("link")?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim().replace(' ', "");
            p == "rel=\"next\"" || p == "rel=next"
        });
        is_next.then(|| target.trim().trim_start_matches('<').trim_end_matches('>').to_string())
    })
}

/// `url` with query parameter `key` set to `value` (replaced when present; the value is
/// percent-encoded).
pub fn set_query(url: &str, key: &str, value: &str) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let (path, query) = match base.split_once('?') {
        Some((p, q)) => (p, q),
        None => (base, ""),
    };
    let mut parts: Vec<String> =
        query.split('&').filter(|p| !p.is_empty() && p.split('=').next() != Some(key)).map(str::to_string).collect();
    parts.push(format!("{}={}", encode(key), encode(value)));
    let mut out = format!("{path}?{}", parts.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
