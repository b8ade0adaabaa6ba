//! The first-party CSV reader plugin. It yields what the native CSV source yields (utf8 columns
//! named by the header, an empty unquoted field and the configured null values as null, `""` as
//! the empty string), so the contract layer coerces types the same way for both.
//!
//! Input (see `source.rs`): the job's `source.files` through the host's read-only file capability
//! (by logical name; all granted files in order, or only `file` when set), or, with `url`, HTTP
//! Range requests to a granted host. Config (the job's source block; CSV keys also accepted under
//! `options`): `file`, `url`, `delimiter` (","), `quote_char` ("\""; "" for none), `header`
//! (true), `columns` (names for a headerless file), `null_values` ([]), `batch_size` (rows;
//! default the pipeline's hint), `chunk_mb` (read size, 8).

mod builder;
mod parse;
mod source;

use dativo_pdk::arrow::{DataType, Field, RecordBatch};
use dativo_pdk::export::{CheckResult, OpenParams, Reader};
use dativo_pdk::host::{self, HttpRequest};
use dativo_pdk::json::{self, Value};
use dativo_pdk::{Error, Result};
use builder::Utf8Builder;
use parse::{Kind, Record, Splitter};
use source::ChunkReader;

/// Where the rows come from.
#[derive(Clone)]
enum Origin {
    /// Granted input files by logical name, read one after the other.
    Files(Vec<String>),
    Url(String),
}

impl Origin {
    fn describe(&self) -> String {
        match self {
            Origin::Files(f) => f.join(", "),
            Origin::Url(u) => u.clone(),
        }
    }
}

struct Options {
    origin: Origin,
    delim: u8,
    quote: Option<u8>,
    header: bool,
    columns: Option<Vec<String>>,
    nulls: Vec<Vec<u8>>,
    batch_size: Option<usize>,
    chunk: u64,
}

fn one_byte(key: &str, v: &Value, default: Option<u8>) -> Result<Option<u8>> {
    let Some(s) = v.as_str() else { return Ok(default) };
    let s = match s.to_ascii_lowercase().as_str() {
        "tab" | "\\t" => "\t".to_string(),
        "pipe" => "|".into(),
        "comma" => ",".into(),
        "semicolon" => ";".into(),
        _ => s.to_string(),
    };
    match s.as_bytes() {
        [] => Ok(None),
        [b] if b.is_ascii() && *b != b'\n' && *b != b'\r' => Ok(Some(*b)),
        _ => Err(Error::config(format!("{key} must be a single ASCII character, got {s:?}"))),
    }
}

fn options() -> Result<Options> {
    let cfg = host::config()?;
    let opt = |k: &str| -> &Value {
        match cfg.get(k) {
            Some(v) if !v.is_null() => v,
            _ => cfg.at("options").at(k),
        }
    };
    let url = opt("url")
        .as_str()
        .map(str::to_string)
        .or_else(|| cfg.at("files").as_array().and_then(|f| f.first()).and_then(|f| f.as_str()).filter(|f| f.starts_with("http")).map(str::to_string));
    let origin = match url {
        Some(u) => Origin::Url(u),
        None => {
            let granted: Vec<String> = host::input_list()?.into_iter().map(|f| f.name).collect();
            let chosen = match opt("file").as_str() {
                Some(f) => vec![f.to_string()],
                None => granted,
            };
            if chosen.is_empty() {
                return Err(Error::config("csv-reader needs input: list the CSV files in source.files (and grant capabilities.files), or set `url` for HTTP"));
            }
            Origin::Files(chosen)
        }
    };
    let delim = one_byte("delimiter", opt("delimiter"), Some(b','))?.ok_or_else(|| Error::config("delimiter cannot be empty"))?;
    let quote = one_byte("quote_char", opt("quote_char"), Some(b'"'))?;
    if quote == Some(delim) {
        return Err(Error::config("the delimiter and the quote character must differ"));
    }
    let header = match opt("header") {
        Value::Bool(b) => *b,
        Value::Number(n) => n == "0",
        Value::String(s) => !matches!(s.to_ascii_lowercase().as_str(), "false" | "no" | "0" | "none"),
        _ => true,
    };
    let columns = opt("columns").as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect());
    let nulls = match opt("null_values") {
        Value::String(s) => vec![s.as_bytes().to_vec()],
        Value::Array(a) => a.iter().filter_map(|v| v.as_str()).filter(|s| !s.is_empty()).map(|s| s.as_bytes().to_vec()).collect(),
        _ => Vec::new(),
    };
    let batch_size = opt("batch_size").as_i64().filter(|n| *n > 0).map(|n| n as usize);
    let chunk_mb = opt("chunk_mb").as_f64().filter(|n| *n > 0.0).unwrap_or(8.0);
    Ok(Options { origin, delim, quote, header, columns, nulls, batch_size, chunk: (chunk_mb * 1048576.0) as u64 })
}

/// Header names trimmed; duplicates get a suffix (`a`, `a_2`); blanks become `column_<k>`.
fn dedupe(names: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for (k, n) in names.into_iter().enumerate() {
        let base = if n.is_empty() { format!("column_{}", k + 1) } else { n };
        let mut name = base.clone();
        let mut i = 2;
        while out.contains(&name) {
            name = format!("{base}_{i}");
            i += 1;
        }
        out.push(name);
    }
    out
}

struct CsvReader {
    o: Options,
    split: Splitter,
    input: ChunkReader,
    /// The next file to open (Origin::Files).
    next_file: usize,
    buf: Vec<u8>,
    /// Parsed up to here in `buf`.
    pos: usize,
    names: Option<Vec<String>>,
    batch_size: usize,
    fields: Vec<(usize, usize, Kind)>,
    scratch: Vec<u8>,
    ragged: u64,
    rows: u64,
    started: bool,
    skip_header: bool,
    /// Bytes each column held in the last batch: the next batch reserves that much up front, so
    /// its buffers are not regrown (and copied) while it fills.
    last_bytes: Vec<usize>,
}

impl CsvReader {
    fn field_text(&mut self, f: (usize, usize, Kind)) -> String {
        let (s, e, kind) = f;
        let raw = match kind {
            Kind::Plain => &self.buf[s..e],
            Kind::Quoted => &self.buf[s + 1..e - 1],
            Kind::Escaped => {
                self.split.unescape(&self.buf[s..e], &mut self.scratch);
                &self.scratch[..]
            }
        };
        String::from_utf8_lossy(raw).trim().to_string()
    }

    /// The next complete record into `self.fields`, reading more input (and the next file) as needed.
    fn next_record(&mut self) -> Result<bool> {
        loop {
            if self.pos < self.buf.len() {
                if let Record::Done(end) = self.split.record(&self.buf, self.pos, self.input.eof, &mut self.fields) {
                    self.pos = end;
                    if self.skip_header {
                        // The header of a second (third…) file: the names come from the first.
                        if !self.is_blank() {
                            self.skip_header = false;
                        }
                        continue;
                    }
                    return Ok(true);
                }
            } else if self.input.eof {
                if !self.open_next_file() {
                    return Ok(false);
                }
                continue;
            }
            // Keep the unparsed tail, append the next chunk.
            if self.pos > 0 {
                self.buf.drain(..self.pos);
                self.pos = 0;
            }
            self.input.fill(&mut self.buf)?;
            if !self.started {
                self.started = true;
                if self.buf.starts_with(b"\xEF\xBB\xBF") {
                    self.pos = 3;
                }
            }
        }
    }

    /// Moves to the next granted file; false when there is none.
    fn open_next_file(&mut self) -> bool {
        let Origin::Files(files) = &self.o.origin else { return false };
        let Some(name) = files.get(self.next_file) else { return false };
        self.input = ChunkReader::file(name.clone(), self.o.chunk);
        self.next_file += 1;
        self.buf.clear();
        self.pos = 0;
        self.started = false;
        self.skip_header = self.o.header && self.names.is_some();
        true
    }

    fn is_blank(&self) -> bool {
        matches!(self.fields.as_slice(), [(s, e, Kind::Plain)] if s == e)
    }

    /// Reads the header (or takes the configured names) before the first batch.
    fn ensure_names(&mut self) -> Result<bool> {
        if self.names.is_some() {
            return Ok(true);
        }
        while self.next_record()? {
            if self.is_blank() {
                continue;
            }
            if self.o.header {
                let fields = self.fields.clone();
                let names: Vec<String> = fields.into_iter().map(|f| self.field_text(f)).collect();
                self.names = Some(self.o.columns.clone().unwrap_or_else(|| dedupe(names)));
                return Ok(true);
            }
            let n = self.fields.len();
            self.names = Some(self.o.columns.clone().unwrap_or_else(|| (1..=n).map(|k| format!("column_{k}")).collect()));
            self.pos = self.record_start_of_current();
            return Ok(true);
        }
        Ok(false)
    }

    /// Where the record just split began (to re-read a headerless first row as data).
    fn record_start_of_current(&self) -> usize {
        self.fields.first().map_or(self.pos, |f| f.0)
    }

    #[inline]
    fn append(&mut self, cols: &mut [Utf8Builder]) {
        let nulls = &self.o.nulls;
        for (k, &(s, e, kind)) in self.fields.iter().enumerate() {
            let col = &mut cols[k];
            let value: &[u8] = match kind {
                Kind::Plain if s == e => {
                    col.push_null(); // an empty unquoted field is null; "" is the empty string
                    continue;
                }
                Kind::Plain => &self.buf[s..e],
                Kind::Quoted => &self.buf[s + 1..e - 1],
                Kind::Escaped => {
                    self.split.unescape(&self.buf[s..e], &mut self.scratch);
                    &self.scratch
                }
            };
            if !nulls.is_empty() && nulls.iter().any(|n| n.as_slice() == value) {
                col.push_null();
            } else {
                col.push(value);
            }
        }
    }
}

impl Reader for CsvReader {
    fn open(params: OpenParams) -> Result<Self> {
        let o = options()?;
        let batch_size = o.batch_size.unwrap_or(if params.batch_size > 0 { params.batch_size as usize } else { 10_000 });
        let input = match &o.origin {
            Origin::Url(u) => ChunkReader::http(u.clone(), o.chunk),
            // An empty, finished input: next_record opens the first file.
            Origin::Files(_) => ChunkReader::done(),
        };
        Ok(CsvReader {
            split: Splitter::new(o.delim, o.quote),
            input,
            next_file: 0,
            o,
            buf: Vec::new(),
            pos: 0,
            names: None,
            batch_size,
            fields: Vec::with_capacity(64),
            scratch: Vec::new(),
            ragged: 0,
            rows: 0,
            started: false,
            skip_header: false,
            last_bytes: Vec::new(),
        })
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if !self.ensure_names()? {
            return Ok(None);
        }
        let names = self.names.clone().unwrap_or_default();
        let mut cols: Vec<Utf8Builder> =
            (0..names.len()).map(|k| Utf8Builder::new(self.batch_size, self.last_bytes.get(k).map_or(0, |n| n + n / 8))).collect();
        let mut rows = 0;
        while rows < self.batch_size && self.next_record()? {
            if self.is_blank() {
                continue;
            }
            if self.fields.len() != names.len() {
                self.ragged += 1;
                if self.ragged <= 10 {
                    host::log_warn(&format!("csv-reader: skipped a row with {} fields (expected {})", self.fields.len(), names.len()));
                }
                continue;
            }
            self.append(&mut cols);
            rows += 1;
        }
        if rows == 0 {
            return Ok(None);
        }
        self.rows += rows as u64;
        self.last_bytes = cols.iter().map(Utf8Builder::bytes).collect();
        let fields = names.iter().map(|n| Field::new(n.clone(), DataType::Utf8, true)).collect();
        Ok(Some(RecordBatch::new(fields, cols.into_iter().map(Utf8Builder::finish).collect())?))
    }

    fn check() -> Result<CheckResult> {
        let o = options()?;
        match &o.origin {
            Origin::Url(url) => {
                let resp = host::http_request(&HttpRequest::get(url.clone()).header("Range", "bytes=0-0"), None)?;
                Ok(if resp.is_success() {
                    CheckResult::success(format!("{url} is readable"))
                } else {
                    CheckResult::failed(format!("GET {url} answered {}", resp.status))
                })
            }
            Origin::Files(files) => {
                let mut probe = [0u8; 1];
                for f in files {
                    host::input_read(f, 0, &mut probe)?;
                }
                Ok(CheckResult::success(format!("{} is readable", o.origin.describe())))
            }
        }
    }

    fn discover() -> Result<Value> {
        let mut r = CsvReader::open(OpenParams { batch_size: 1, stream: None })?;
        r.o.chunk = 65_536;
        if let Origin::Url(u) = &r.o.origin {
            r.input = ChunkReader::http(u.clone(), 65_536);
        }
        let columns: Vec<Value> = if r.ensure_names()? {
            r.names.clone().unwrap_or_default().into_iter().map(|n| json::object([("name", Value::from(n)), ("type", Value::from("string"))])).collect()
        } else {
            Vec::new()
        };
        let what = r.o.origin.describe();
        let first = match &r.o.origin {
            Origin::Url(u) => u.clone(),
            Origin::Files(f) => f.first().cloned().unwrap_or_default(),
        };
        let name = first.rsplit('/').next().unwrap_or("csv").split(['?', '#']).next().unwrap_or("csv").trim_end_matches(".csv").to_string();
        Ok(json::object([
            ("objects", Value::Array(vec![json::object([("name", Value::from(name)), ("type", Value::from("file")), (if matches!(r.o.origin, Origin::Url(_)) { "url" } else { "files" }, Value::from(what.as_str())), ("columns", Value::Array(columns))])])),
            ("metadata", json::object([("format", Value::from("csv")), ("delimiter", Value::from((r.o.delim as char).to_string())), ("header", Value::from(r.o.header))])),
        ]))
    }

    fn close(&mut self) -> Result<()> {
        if self.ragged > 0 {
            host::log_warn(&format!("csv-reader: {} ragged row(s) skipped", self.ragged));
        }
        host::log_info(&format!("csv-reader: {} rows read from {}", self.rows, self.o.origin.describe()));
        Ok(())
    }
}

dativo_pdk::reader!(CsvReader);
