//! A Dativo reader plugin: emits `rows` generated records in batches, and remembers the last id
//! it emitted as incremental state, so the next run continues where this one stopped.
//!
//! Replace `make_batch` with your own source (an HTTP API through `host::http_request`, a
//! format you parse from a granted secret's URL, …). The batch's columns must match the
//! contract named in `dativo-plugin.yaml` (`dativo plugin test` checks that).

use dativo_pdk::arrow::{Column, DataType, Field, RecordBatch};
use dativo_pdk::{host, Error, OpenParams, Reader, Result};

pub struct Plugin {
    /// Next id to emit.
    next: i64,
    /// Last id to emit (inclusive).
    last: i64,
    batch_size: usize,
    prefix: String,
}

/// The batch of ids `first..first+n`. A pure function: easy to reason about and to test.
pub fn make_batch(first: i64, n: usize, prefix: &str) -> Result<RecordBatch> {
    let mut id = Column::with_capacity(DataType::Int64, n);
    let mut name = Column::with_capacity(DataType::Utf8, n);
    let mut score = Column::with_capacity(DataType::Float64, n);
    let mut active = Column::with_capacity(DataType::Bool, n);
    for k in first..first + n as i64 {
        id.push_i64(k);
        name.push_str(&format!("{prefix}-{k}"));
        // Optional columns may hold nulls: every 10th score is unknown.
        if k % 10 == 0 {
            score.push_null();
        } else {
            score.push_f64(k as f64 * 0.5);
        }
        active.push_bool(k % 2 == 1);
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
        let rows = config.at("rows").as_i64().unwrap_or(1000);
        if rows < 0 {
            return Err(Error::config(format!("rows must be 0 or more, not {rows}")));
        }
        let prefix = config.at("prefix").as_str().unwrap_or("row").to_string();
        // Incremental: continue after the last id a committed run emitted.
        let done = match host::state_get("last_id")? {
            Some(v) => v.parse::<i64>().map_err(|_| Error::bad_input(format!("state last_id is not a number: {v}")))?,
            None => 0,
        };
        let batch_size = if params.batch_size == 0 { 1000 } else { params.batch_size as usize };
        host::log_info(&format!("generating ids {} to {}", done + 1, done + rows));
        Ok(Plugin { next: done + 1, last: done + rows, batch_size, prefix })
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.next > self.last {
            return Ok(None);
        }
        let n = ((self.last - self.next + 1) as usize).min(self.batch_size);
        let batch = make_batch(self.next, n, &self.prefix)?;
        self.next += n as i64;
        // The host commits this state together with the batch's rows, never before.
        host::state_set("last_id", &(self.next - 1).to_string())?;
        Ok(Some(batch))
    }
}

dativo_pdk::reader!(Plugin);
