//! A JSON Lines writer: every row of every batch becomes one JSON object on its own line, in
//! column order, appended to a named output through `output_write`. The host stages the bytes and
//! publishes them at commit, so a failed run leaves no half-written file behind.
//!
//! Values: int64 and decimals as exact JSON numbers, float64 as numbers (NaN/±inf as null), dates
//! as `YYYY-MM-DD`, timestamps as ISO-8601 with microseconds (`Z` when the column is UTC).

use dativo_pdk::arrow::{Column, DataType, RecordBatch};
use dativo_pdk::json::{self, Value};
use dativo_pdk::{host, Error, OpenParams, Result, Writer};

pub struct JsonlWriter {
    output: String,
    rows: u64,
    bytes: u64,
}

/// (year, month, day) of days since 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn push_date(out: &mut String, days: i64) {
    let (y, m, d) = civil_from_days(days);
    out.push_str(&format!("{y:04}-{m:02}-{d:02}"));
}

fn push_timestamp(out: &mut String, micros: i64, utc: bool) {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    push_date(out, secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    out.push_str(&format!("T{:02}:{:02}:{:02}.{frac:06}", s / 3600, s / 60 % 60, s % 60));
    if utc {
        out.push('Z');
    }
}

fn push_decimal(out: &mut String, unscaled: i128, scale: i8) {
    if scale <= 0 {
        out.push_str(&(unscaled * 10i128.pow(u32::from(scale.unsigned_abs()))).to_string());
        return;
    }
    let digits = unscaled.unsigned_abs().to_string();
    let scale = scale as usize;
    let padded = format!("{digits:0>width$}", width = scale + 1);
    if unscaled < 0 {
        out.push('-');
    }
    out.push_str(&padded[..padded.len() - scale]);
    out.push('.');
    out.push_str(&padded[padded.len() - scale..]);
}

fn push_value(out: &mut String, col: &Column, i: usize) {
    if col.is_null(i) {
        out.push_str("null");
        return;
    }
    match &col.data_type {
        DataType::Int64 => out.push_str(&col.i64(i).unwrap_or_default().to_string()),
        DataType::Float64 => match col.f64(i) {
            Some(x) if x.is_finite() => out.push_str(&format!("{x:?}")),
            _ => out.push_str("null"),
        },
        DataType::Bool => out.push_str(if col.bool(i).unwrap_or(false) { "true" } else { "false" }),
        DataType::Utf8 => json::write_str(out, col.str(i).unwrap_or("")),
        DataType::Date32 => {
            out.push('"');
            push_date(out, i64::from(col.date32(i).unwrap_or(0)));
            out.push('"');
        }
        DataType::Timestamp { tz } => {
            out.push('"');
            push_timestamp(out, col.timestamp(i).unwrap_or(0), tz.is_some());
            out.push('"');
        }
        DataType::Decimal128 { scale, .. } => push_decimal(out, col.decimal(i).unwrap_or(0), *scale),
    }
}

/// The batch as JSON Lines.
pub fn to_jsonl(batch: &RecordBatch) -> String {
    let mut keys: Vec<String> = Vec::with_capacity(batch.fields.len());
    for f in &batch.fields {
        let mut k = String::new();
        json::write_str(&mut k, &f.name);
        keys.push(k);
    }
    let mut out = String::with_capacity(batch.num_rows() * 64);
    for i in 0..batch.num_rows() {
        out.push('{');
        for (c, (key, col)) in keys.iter().zip(&batch.columns).enumerate() {
            if c > 0 {
                out.push(',');
            }
            out.push_str(key);
            out.push(':');
            push_value(&mut out, col, i);
        }
        out.push_str("}\n");
    }
    out
}

impl Writer for JsonlWriter {
    fn open(params: OpenParams) -> Result<Self> {
        let config = host::config()?;
        let output = match config.at("output").as_str() {
            Some(name) => name.to_string(),
            None => format!("{}.jsonl", params.stream.as_deref().filter(|s| !s.is_empty()).unwrap_or("data")),
        };
        if output.is_empty() || output.starts_with('.') || output.contains('/') {
            return Err(Error::config(format!("output \"{output}\" must be a plain file name")));
        }
        Ok(JsonlWriter { output, rows: 0, bytes: 0 })
    }

    fn write_batch(&mut self, batch: RecordBatch) -> Result<()> {
        let text = to_jsonl(&batch);
        host::output_write(&self.output, text.as_bytes())?;
        self.rows += batch.num_rows() as u64;
        self.bytes += text.len() as u64;
        Ok(())
    }

    fn commit(&mut self) -> Result<Value> {
        Ok(json::object([
            ("rows", Value::from(self.rows)),
            ("bytes", Value::from(self.bytes)),
            ("output", Value::from(self.output.as_str())),
        ]))
    }
}

dativo_pdk::writer!(JsonlWriter);
