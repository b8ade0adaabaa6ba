//! Safe wrappers over the host functions (the WIT `host` interface). Small values travel as
//! kernel handles; bulk bytes are copied straight between linear memory and the host
//! (`bulk_load` / `bulk_store`), which is what makes batches cheap to move.

use crate::abi::{self, Handle};
use crate::error::{Error, Result};
use crate::json::{self, Value};

// ---- kernel handles ----

/// Copies a kernel block into a new Vec (and frees the block: it counts against the budget).
pub fn load(h: Handle) -> Vec<u8> {
    if h == 0 {
        return Vec::new();
    }
    // SAFETY: the host copies exactly length(h) bytes to the pointer, which we reserved.
    unsafe {
        let n = abi::length(h) as usize;
        let mut v = Vec::with_capacity(n);
        if n > 0 {
            abi::bulk_load(h, v.as_mut_ptr());
            v.set_len(n);
        }
        abi::free(h);
        v
    }
}

fn load_string(h: Handle) -> String {
    String::from_utf8(load(h)).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Copies bytes into a new kernel block.
pub fn store(bytes: &[u8]) -> Handle {
    // SAFETY: the host reads `len` bytes from `ptr`, both inside our memory.
    unsafe { abi::bulk_store(bytes.as_ptr(), bytes.len() as u32) }
}

/// The host's error for the call that just failed (`last_error`), or `None`.
fn last_error() -> Option<Error> {
    // SAFETY: plain host call.
    let h = unsafe { abi::last_error() };
    (h != 0).then(|| Error::from_json(&load_string(h)))
}

fn failed(what: &str) -> Error {
    last_error().unwrap_or_else(|| Error::new("HOST_ERROR", format!("{what} failed without an error")))
}

// ---- the call's input, output and error ----

/// The bytes the host passed to this export (`open` params, a writer's batch, `abort`'s reason).
pub fn input() -> Vec<u8> {
    // SAFETY: the input is an ordinary kernel block; we must not free it.
    unsafe {
        let n = abi::input_length() as usize;
        let mut v = Vec::with_capacity(n);
        if n > 0 {
            abi::bulk_load(abi::input_offset(), v.as_mut_ptr());
            v.set_len(n);
        }
        v
    }
}

/// Sets this call's output (a batch, JSON): copied once, straight from linear memory, by the host
/// (`dativo.output_bytes`).
pub fn output(bytes: &[u8]) {
    // SAFETY: the host reads `len` bytes from our memory.
    unsafe { abi::output_bytes(bytes.as_ptr(), bytes.len() as u32) };
}

/// Sets this call's output through an Extism kernel block (`output_set`), as Extism PDKs do.
pub fn output_block(bytes: &[u8]) {
    let h = store(bytes);
    // SAFETY: `h` is a block we just stored.
    unsafe { abi::output_set(h, bytes.len() as u64) }
}

/// Fails this call with the contract's error record.
pub fn set_error(e: &Error) {
    let h = store(e.to_json().as_bytes());
    // SAFETY: `h` is a block we just stored.
    unsafe { abi::error_set(h) }
}

// ---- host interface ----

/// The plugin's config: the job's source/target block without credentials, as JSON text.
pub fn config_text() -> String {
    // SAFETY: plain host call.
    load_string(unsafe { abi::config() })
}

/// The plugin's config, parsed.
pub fn config() -> Result<Value> {
    let text = config_text();
    if text.trim().is_empty() {
        return Ok(Value::Object(Vec::new()));
    }
    json::parse(&text).map_err(|e| Error::config(format!("the plugin config is not JSON: {e}")))
}

/// A granted secret's value; `PLUGIN_DENIED` for a name the job did not grant.
pub fn secret_get(name: &str) -> Result<String> {
    let key = store(name.as_bytes());
    // SAFETY: plain host call with a handle we own.
    let h = unsafe { abi::secret_get(key) };
    if h == 0 {
        if let Some(e) = last_error() {
            return Err(e);
        }
    }
    Ok(load_string(h))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Debug = 0,
    Info = 1,
    Warn = 2,
    Error = 3,
}

/// Logs a line (masked and rate-limited by the host).
pub fn log(level: Level, message: &str) {
    let h = store(message.as_bytes());
    // SAFETY: plain host call.
    unsafe { abi::log(level as i32, h) }
}
pub fn log_debug(message: &str) {
    log(Level::Debug, message)
}
pub fn log_info(message: &str) {
    log(Level::Info, message)
}
pub fn log_warn(message: &str) {
    log(Level::Warn, message)
}
pub fn log_error(message: &str) {
    log(Level::Error, message)
}

/// Incremental state as of the last committed run (`None` when absent).
pub fn state_get(key: &str) -> Result<Option<String>> {
    let k = store(key.as_bytes());
    // SAFETY: plain host call.
    let h = unsafe { abi::state_get(k) };
    if h == 0 {
        return match last_error() {
            Some(e) => Err(e),
            None => Ok(None),
        };
    }
    Ok(Some(load_string(h)))
}

/// Sets incremental state; the host commits it together with the data of this call.
pub fn state_set(key: &str, value: &str) -> Result<()> {
    let (k, v) = (store(key.as_bytes()), store(value.as_bytes()));
    // SAFETY: plain host call.
    if unsafe { abi::state_set(k, v) } != 0 {
        return Err(failed("state_set"));
    }
    Ok(())
}

/// Appends to a writer's named output (staged by the host, published at commit).
pub fn output_write(name: &str, bytes: &[u8]) -> Result<()> {
    let n = store(name.as_bytes());
    // SAFETY: the host reads `len` bytes from our memory.
    if unsafe { abi::output_write(n, bytes.as_ptr(), bytes.len() as u32) } != 0 {
        return Err(failed("output_write"));
    }
    Ok(())
}

// ---- input files (readers with `capabilities.files`) ----

/// One granted input file: its logical name (never a host path) and size in bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    pub name: String,
    pub size: u64,
}

/// The files the job granted (its `source.files`, globs expanded by the host), in job order.
pub fn input_list() -> Result<Vec<InputFile>> {
    // SAFETY: plain host call.
    let text = load_string(unsafe { abi::input_list() });
    let v = json::parse(&text).map_err(|e| Error::new("HOST_ERROR", format!("input_list: {e}")))?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| Some(InputFile { name: f.at("name").as_str()?.to_string(), size: f.at("size").as_i64()?.max(0) as u64 }))
                .collect()
        })
        .unwrap_or_default())
}

/// Largest single read the host allows (64 MiB); read big files in chunks.
pub const MAX_INPUT_READ: usize = 64 * 1024 * 1024;

fn read_raw(name: &str, offset: u64, ptr: *mut u8, len: usize) -> Result<usize> {
    let h = store(name.as_bytes());
    // SAFETY: the host writes at most `len` bytes at `ptr`, which the caller owns.
    let n = unsafe { abi::input_read(h, offset, ptr, len.min(u32::MAX as usize) as u32) };
    // SAFETY: our own block; freeing it returns its bytes to the kernel budget.
    unsafe { abi::free(h) };
    if n < 0 {
        return Err(failed("input_read"));
    }
    Ok(n as usize)
}

/// Reads granted file `name` at `offset` into `buf` (straight from the kernel into linear
/// memory); the number of bytes read, 0 at the end of the file. `PLUGIN_DENIED` for a name the
/// job did not grant.
pub fn input_read(name: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
    read_raw(name, offset, buf.as_mut_ptr(), buf.len())
}

/// Appends up to `max` bytes of `name` at `offset` to `buf` (into its spare capacity, no
/// zeroing, no intermediate copy); the number of bytes appended, 0 at the end of the file.
pub fn input_read_append(name: &str, offset: u64, buf: &mut Vec<u8>, max: usize) -> Result<usize> {
    buf.reserve(max);
    let len = buf.len();
    // SAFETY: `max` bytes of spare capacity were reserved; the host initialises the first `n`.
    let n = read_raw(name, offset, unsafe { buf.as_mut_ptr().add(len) }, max)?;
    unsafe { buf.set_len(len + n.min(max)) };
    Ok(n.min(max))
}

// ---- HTTP ----

#[derive(Clone, Debug, PartialEq)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
}

impl HttpRequest {
    pub fn get(url: impl Into<String>) -> Self {
        HttpRequest { method: "GET".into(), url: url.into(), headers: Vec::new() }
    }
    pub fn new(method: &str, url: impl Into<String>) -> Self {
        HttpRequest { method: method.to_ascii_uppercase(), url: url.into(), headers: Vec::new() }
    }
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.into()));
        self
    }
    pub fn to_json(&self) -> String {
        let headers = Value::Object(self.headers.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect());
        json::object([
            ("method", Value::from(self.method.as_str())),
            ("url", Value::from(self.url.as_str())),
            ("headers", headers),
        ])
        .to_string()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> Result<Value> {
        json::parse_bytes(&self.body).map_err(|e| Error::bad_input(format!("response body is not JSON: {e}")))
    }
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// One HTTP exchange through the host: granted host:port and methods only, redirects re-checked,
/// retries / Retry-After / rate limits applied by the host. Any status is `Ok`; a denial, a
/// connection failure or an oversized body is `Err`.
pub fn http_request(req: &HttpRequest, body: Option<&[u8]>) -> Result<HttpResponse> {
    let r = store(req.to_json().as_bytes());
    let b = body.map(store).unwrap_or(0);
    // SAFETY: plain host call with handles we own.
    let h = unsafe { abi::http_request(r, b) };
    if h == 0 {
        if let Some(e) = last_error() {
            return Err(e);
        }
    }
    let body = load(h);
    // SAFETY: plain host calls.
    let status = unsafe { abi::http_status() } as u16;
    let headers_text = load_string(unsafe { abi::http_headers() });
    let headers = match json::parse(&headers_text) {
        Ok(Value::Object(m)) => m.into_iter().filter_map(|(k, v)| v.to_text().map(|v| (k.to_ascii_lowercase(), v))).collect(),
        _ => Vec::new(),
    };
    Ok(HttpResponse { status, headers, body })
}
