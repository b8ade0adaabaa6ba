//! A reader for paginated JSON HTTP APIs. One page per `next_batch`: the host makes the request
//! (granted hosts only; retries, Retry-After and rate limits per the manifest's `http` policy), the
//! plugin picks the records out of the body, types them into Arrow columns as configured, and
//! derives the next page's request: from a cursor in the body, a page number, an offset, or the
//! `Link: rel="next"` header.

mod values;

use dativo_pdk::arrow::{Column, Field, RecordBatch};
use dativo_pdk::host::{self, HttpRequest, HttpResponse};
use dativo_pdk::json::Value;
use dativo_pdk::paginate::{next_link, set_query, Pager};
use dativo_pdk::{CheckResult, Error, OpenParams, Reader, Result};
use values::{parse_type, push, FieldSpec};

#[derive(Clone, Debug)]
enum Paging {
    None,
    /// `?<param>=<value at cursor_path>` until the cursor is null, missing or "".
    Cursor { param: String, path: String },
    /// `?<param>=n`, n = start, start+1, … until a page has fewer than `page_size` records.
    Page { param: String, next: i64 },
    /// `?<param>=k`, k = records so far, until a page has fewer than `page_size` records.
    Offset { param: String, next: i64 },
    /// The `Link: <…>; rel="next"` header.
    Link,
}

struct Config {
    url: String,
    records_path: String,
    headers: Vec<(String, String)>,
    fields: Vec<FieldSpec>,
    paging: Paging,
    size_param: Option<String>,
    page_size: Option<i64>,
    max_pages: Option<u64>,
}

fn text(v: &Value, key: &str, default: &str) -> String {
    v.at(key).as_str().unwrap_or(default).to_string()
}

fn read_config() -> Result<Config> {
    let c = host::config()?;
    let url = c.at("url").as_str().ok_or_else(|| Error::config("url is required"))?.to_string();
    let fields_v = c.at("fields").as_array().filter(|a| !a.is_empty()).ok_or_else(|| {
        Error::config("fields is required: a list of {name, type[, path, required]} describing the columns")
    })?;
    let mut fields = Vec::with_capacity(fields_v.len());
    for f in fields_v {
        let name = f.at("name").as_str().ok_or_else(|| Error::config("every field needs a name"))?.to_string();
        let data_type = parse_type(f.at("type").as_str().unwrap_or("string"))?;
        fields.push(FieldSpec {
            path: f.at("path").as_str().unwrap_or(&name).to_string(),
            required: f.at("required").as_bool().unwrap_or(false),
            name,
            data_type,
        });
    }
    let p = c.at("pagination");
    let kind = p.at("type").as_str().unwrap_or(if p.is_null() { "none" } else { "cursor" });
    let paging = match kind {
        "none" => Paging::None,
        "cursor" => Paging::Cursor { param: text(p, "cursor_param", "cursor"), path: text(p, "cursor_path", "next_cursor") },
        "page" => Paging::Page { param: text(p, "page_param", "page"), next: p.at("start_page").as_i64().unwrap_or(1) },
        "offset" => Paging::Offset { param: text(p, "offset_param", "offset"), next: p.at("start_offset").as_i64().unwrap_or(0) },
        "link" => Paging::Link,
        other => return Err(Error::config(format!("pagination.type \"{other}\" is not one of none, cursor, page, offset, link"))),
    };
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    if let Some(h) = c.at("headers").as_object() {
        for (k, v) in h {
            headers.push((k.clone(), v.to_text().unwrap_or_default()));
        }
    }
    // A token comes from a granted secret, never from the config: the host strips credential-like
    // keys (auth, token, secret, …) from a plugin's config, hence the neutral name `bearer.grant`.
    if let Some(name) = c.at("bearer").at("grant").as_str() {
        let value = host::secret_get(name)?;
        let header = text(c.at("bearer"), "header", "authorization");
        let prefix = text(c.at("bearer"), "prefix", "Bearer ");
        headers.push((header, format!("{prefix}{value}")));
    }
    Ok(Config {
        url,
        records_path: text(&c, "records_path", ""),
        headers,
        fields,
        paging,
        size_param: p.at("size_param").as_str().map(str::to_string),
        page_size: p.at("page_size").as_i64(),
        max_pages: c.at("max_pages").as_i64().map(|n| n.max(0) as u64),
    })
}

pub struct HttpJsonReader {
    config: Config,
    pager: Pager,
    records: u64,
}

fn request(config: &Config, url: String) -> HttpRequest {
    let mut url = url;
    if let (Some(param), Some(size)) = (&config.size_param, config.page_size) {
        url = set_query(&url, param, &size.to_string());
    }
    let mut req = HttpRequest::get(url);
    for (k, v) in &config.headers {
        req = req.header(k, v.clone());
    }
    req
}

fn first_request(config: &Config) -> HttpRequest {
    let url = match &config.paging {
        Paging::Page { param, next } | Paging::Offset { param, next } => set_query(&config.url, param, &next.to_string()),
        _ => config.url.clone(),
    };
    request(config, url)
}

/// The next page's request, derived from this page (`None`: it was the last).
fn follow(config: &mut Config, resp: &HttpResponse, body: &Value, count: usize) -> Option<HttpRequest> {
    // A page shorter than the page size (or empty) is the last one for page and offset paging.
    let last = count == 0 || config.page_size.is_some_and(|s| (count as i64) < s);
    let url = match &mut config.paging {
        Paging::None => return None,
        Paging::Cursor { param, path } => {
            let cursor = body.pointer(path).and_then(Value::to_text).filter(|s| !s.is_empty())?;
            if count == 0 {
                return None;
            }
            set_query(&config.url, param, &cursor)
        }
        Paging::Page { param, next } => {
            if last {
                return None;
            }
            *next += 1;
            set_query(&config.url, param, &next.to_string())
        }
        Paging::Offset { param, next } => {
            if last {
                return None;
            }
            *next += count as i64;
            set_query(&config.url, param, &next.to_string())
        }
        Paging::Link => next_link(resp)?,
    };
    Some(request(config, url))
}

fn records_of<'a>(body: &'a Value, path: &str) -> Result<&'a [Value]> {
    let at = if path.is_empty() { Some(body) } else { body.pointer(path) };
    match at {
        Some(Value::Array(a)) => Ok(a),
        Some(Value::Null) | None => Ok(&[]),
        Some(_) => Err(Error::bad_input(format!("records_path \"{path}\" does not hold an array"))),
    }
}

/// `done`: records emitted before this page (for 1-based record numbers in errors).
fn to_batch(fields: &[FieldSpec], done: u64, records: &[Value]) -> Result<RecordBatch> {
    let mut cols: Vec<Column> = fields.iter().map(|f| Column::with_capacity(f.data_type.clone(), records.len())).collect();
    for (i, rec) in records.iter().enumerate() {
        let n = done as usize + i + 1;
        for (f, col) in fields.iter().zip(cols.iter_mut()) {
            push(col, f, n, rec.pointer(&f.path))?;
        }
    }
    let schema = fields.iter().map(|f| Field::new(f.name.clone(), f.data_type.clone(), !f.required)).collect();
    RecordBatch::new(schema, cols)
}

impl Reader for HttpJsonReader {
    fn open(_params: OpenParams) -> Result<Self> {
        let config = read_config()?;
        let mut pager = Pager::new(first_request(&config));
        if let Some(n) = config.max_pages {
            pager = pager.max_pages(n);
        }
        Ok(HttpJsonReader { config, pager, records: 0 })
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            let HttpJsonReader { config, pager, records } = self;
            let mut page: Option<Value> = None;
            // The pager sends the request through the host; this closure reads the page and
            // derives the next request from it.
            let fetched = pager.next_page(|resp, _req| {
                let body = resp.json()?;
                let count = records_of(&body, &config.records_path)?.len();
                let next = follow(config, resp, &body, count);
                page = Some(body);
                Ok(next)
            })?;
            if fetched.is_none() {
                return Ok(None);
            }
            let body = page.ok_or_else(|| Error::new("INTERNAL", "page without a body"))?;
            let recs = records_of(&body, &config.records_path)?;
            let batch = to_batch(&config.fields, *records, recs)?;
            *records += recs.len() as u64;
            // An empty page that still points at a next one is skipped, not emitted.
            if !recs.is_empty() {
                return Ok(Some(batch));
            }
        }
    }

    fn check() -> Result<CheckResult> {
        let config = read_config()?;
        let resp = host::http_request(&first_request(&config), None)?;
        let what = format!("{} answered {}", config.url, resp.status);
        Ok(if resp.is_success() { CheckResult::success(what) } else { CheckResult::failed(what) })
    }
}

dativo_pdk::reader!(HttpJsonReader);
