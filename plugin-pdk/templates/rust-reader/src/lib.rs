//! A Dativo reader plugin: reads the CSV files the job lists under `source.files` (through the
//! host's read-only file capability: logical names, never host paths), types each column, and
//! remembers the largest id it emitted as incremental state, so the next run emits only newer rows.
//!
//! It parses plain CSV (no quoted fields) to stay short: `plugins/csv-reader` in the Dativo
//! repository is a complete CSV reader. Replace `parse_file` with your own source (an HTTP API
//! through `host::http_request`, another format, …). The batch's columns must match the contract
//! named in `dativo-plugin.yaml` (`dativo plugin test` checks that).

use dativo_pdk::arrow::{Column, DataType, Field, RecordBatch};
use dativo_pdk::{host, Error, OpenParams, Reader, Result};

/// One record of the contract (`contract.yaml`).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub id: i64,
    pub name: String,
    pub score: Option<f64>,
    pub active: Option<bool>,
}

pub struct Plugin {
    rows: Vec<Row>,
    next: usize,
    batch_size: usize,
    /// Largest id emitted so far (this run or an earlier one).
    last_id: i64,
}

const COLUMNS: [&str; 4] = ["id", "name", "score", "active"];

/// The rows of one CSV text. Errors name the file, the line and the column. A pure function: easy
/// to reason about and to test.
pub fn parse_file(file: &str, text: &str, delimiter: char) -> Result<Vec<Row>> {
    let mut lines = text.split('\n').enumerate().map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)));
    let header: Vec<&str> = match lines.next() {
        Some((_, h)) if !h.is_empty() => h.split(delimiter).map(str::trim).collect(),
        _ => return Ok(Vec::new()),
    };
    let mut at = [0usize; 4];
    for (k, name) in COLUMNS.iter().enumerate() {
        at[k] = header.iter().position(|h| h == name).ok_or_else(|| {
            Error::bad_input(format!("{file} line 1: no column \"{name}\" in the header ({})", header.join(",")))
        })?;
    }
    let mut rows = Vec::new();
    for (line, text) in lines.filter(|(_, l)| !l.is_empty()) {
        let fields: Vec<&str> = text.split(delimiter).collect();
        if fields.len() != header.len() {
            return Err(Error::bad_input(format!(
                "{file} line {line}: {} fields, the header has {}",
                fields.len(),
                header.len()
            )));
        }
        let bad = |col: &str, value: &str, want: &str| {
            Error::bad_input(format!("{file} line {line}, column {col}: \"{value}\" is not {want}"))
        };
        let (id, name, score, active) = (fields[at[0]], fields[at[1]], fields[at[2]], fields[at[3]]);
        rows.push(Row {
            id: id.parse().map_err(|_| bad("id", id, "an integer"))?,
            name: name.to_string(),
            score: if score.is_empty() { None } else { Some(score.parse().map_err(|_| bad("score", score, "a number"))?) },
            active: match active {
                "" => None,
                "true" => Some(true),
                "false" => Some(false),
                _ => return Err(bad("active", active, "true or false")),
            },
        });
    }
    Ok(rows)
}

/// The whole granted file `name`, as text.
fn read_text(name: &str) -> Result<String> {
    let mut bytes = Vec::new();
    while host::input_read_append(name, bytes.len() as u64, &mut bytes, 1 << 20)? > 0 {}
    String::from_utf8(bytes).map_err(|e| Error::bad_input(format!("{name}: not UTF-8 ({e})")))
}

fn make_batch(rows: &[Row]) -> Result<RecordBatch> {
    let mut id = Column::with_capacity(DataType::Int64, rows.len());
    let mut name = Column::with_capacity(DataType::Utf8, rows.len());
    let mut score = Column::with_capacity(DataType::Float64, rows.len());
    let mut active = Column::with_capacity(DataType::Bool, rows.len());
    for r in rows {
        id.push_i64(r.id);
        name.push_str(&r.name);
        match r.score {
            Some(s) => score.push_f64(s),
            None => score.push_null(),
        }
        match r.active {
            Some(a) => active.push_bool(a),
            None => active.push_null(),
        }
    }
    RecordBatch::new(
        vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, false),
            Field::new("score", DataType::Float64, true),
            Field::new("active", DataType::Bool, true),
        ],
        vec![id, name, score, active],
    )
}

impl Reader for Plugin {
    fn open(params: OpenParams) -> Result<Self> {
        let config = host::config()?;
        let delimiter = config.at("delimiter").as_str().unwrap_or(",");
        let mut chars = delimiter.chars();
        let delimiter = match (chars.next(), chars.next()) {
            (Some(c), None) => c,
            _ => return Err(Error::config(format!("delimiter must be one character, not \"{delimiter}\""))),
        };
        let files = host::input_list()?;
        if files.is_empty() {
            return Err(Error::config(
                "no input files: list the CSV files under source.files in the job (`dativo plugin test` reads job.yaml's, or --file)",
            ));
        }
        // Incremental: only rows with an id above the largest a committed run emitted.
        let last_id = match host::state_get("last_id")? {
            Some(v) => v.parse::<i64>().map_err(|_| Error::bad_input(format!("state last_id is not a number: {v}")))?,
            None => i64::MIN,
        };
        let mut rows = Vec::new();
        for f in &files {
            rows.extend(parse_file(&f.name, &read_text(&f.name)?, delimiter)?.into_iter().filter(|r| r.id > last_id));
        }
        host::log_info(&format!("{} new rows in {} file(s)", rows.len(), files.len()));
        let batch_size = if params.batch_size == 0 { 1000 } else { params.batch_size as usize };
        Ok(Plugin { rows, next: 0, batch_size, last_id })
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.next >= self.rows.len() {
            return Ok(None);
        }
        let end = (self.next + self.batch_size).min(self.rows.len());
        let slice = &self.rows[self.next..end];
        let batch = make_batch(slice)?;
        self.next = end;
        self.last_id = slice.iter().map(|r| r.id).fold(self.last_id, i64::max);
        // The host commits this state together with the batch's rows, never before.
        host::state_set("last_id", &self.last_id.to_string())?;
        Ok(Some(batch))
    }
}

dativo_pdk::reader!(Plugin);
