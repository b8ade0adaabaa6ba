//! JSON values → typed Arrow columns, one configured field at a time. Dates and timestamps are
//! ISO-8601 text; a timestamp with `Z` or an offset is converted to UTC (architecture §4).

use dativo_pdk::arrow::{Column, DataType};
use dativo_pdk::json::Value;
use dativo_pdk::{Error, Result};

/// One output column: its name, where its value sits in a record, its type.
#[derive(Clone, Debug)]
pub struct FieldSpec {
    pub name: String,
    /// Dotted path inside a record (default: the name).
    pub path: String,
    pub data_type: DataType,
    pub required: bool,
}

/// `int64`/`integer`, `float64`/`number`, `bool`/`boolean`, `string`/`utf8`, `json`, `date`,
/// `timestamp` (UTC-adjusted), `timestamp_ntz` (naive).
pub fn parse_type(name: &str) -> Result<DataType> {
    Ok(match name.trim().to_ascii_lowercase().as_str() {
        "int64" | "integer" | "int" | "bigint" | "long" => DataType::Int64,
        "float64" | "number" | "double" | "float" => DataType::Float64,
        "bool" | "boolean" => DataType::Bool,
        "string" | "utf8" | "text" | "json" => DataType::Utf8,
        "date" => DataType::Date32,
        "timestamp" | "timestamptz" | "datetime" => DataType::Timestamp { tz: Some("UTC".into()) },
        "timestamp_ntz" => DataType::Timestamp { tz: None },
        other => {
            return Err(Error::config(format!(
                "field type \"{other}\" is not one of int64, float64, bool, string, json, date, timestamp, timestamp_ntz"
            )))
        }
    })
}

fn digits(s: &[u8], from: usize, n: usize) -> Option<i64> {
    let part = s.get(from..from + n)?;
    part.iter().try_fold(0i64, |acc, b| b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0')))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` → days.
pub fn parse_date(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    i32::try_from(days_from_civil(y, m, d)).ok()
}

/// `YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][Z|±HH[:]MM]` → microseconds since the epoch (UTC when an
/// offset is given; as written otherwise).
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let days = i64::from(parse_date(std::str::from_utf8(b.get(..10)?).ok()?)?);
    if b.len() == 10 {
        return Some(days * 86_400_000_000);
    }
    if b[10] != b'T' && b[10] != b't' && b[10] != b' ' {
        return None;
    }
    let (h, mi) = (digits(b, 11, 2)?, digits(b, 14, 2)?);
    if b.get(13) != Some(&b':') {
        return None;
    }
    let mut i = 16;
    let mut sec = 0;
    let mut micros = 0i64;
    if b.get(i) == Some(&b':') {
        sec = digits(b, i + 1, 2)?;
        i += 3;
        if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
            i += 1;
            let mut scale = 100_000;
            while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                micros += i64::from(c - b'0') * scale;
                scale /= 10;
                i += 1;
            }
        }
    }
    let mut offset_min = 0;
    match b.get(i) {
        None => {}
        Some(b'Z') | Some(b'z') if i + 1 == b.len() => {}
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(b, i + 1, 2)?;
            let om_at = if b.get(i + 3) == Some(&b':') { i + 4 } else { i + 3 };
            let om = if om_at < b.len() { digits(b, om_at, 2)? } else { 0 };
            offset_min = (oh * 60 + om) * if sign == b'-' { -1 } else { 1 };
        }
        _ => return None,
    }
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    Some(secs * 1_000_000 + micros)
}

fn mismatch(field: &FieldSpec, record: usize, v: &Value) -> Error {
    let mut shown = v.to_string();
    if shown.len() > 60 {
        let mut cut = 60;
        while !shown.is_char_boundary(cut) {
            cut -= 1;
        }
        shown.truncate(cut);
        shown.push('…');
    }
    Error::bad_input(format!(
        "record {record}: field \"{}\" (path {}) is {shown}, not a {:?}",
        field.name, field.path, field.data_type
    ))
}

/// Appends `v` (the value at the field's path, `None` when absent) to `col`.
pub fn push(col: &mut Column, field: &FieldSpec, record: usize, v: Option<&Value>) -> Result<()> {
    let v = match v {
        None | Some(Value::Null) => {
            if field.required {
                return Err(Error::bad_input(format!(
                    "record {record}: required field \"{}\" (path {}) is missing or null",
                    field.name, field.path
                )));
            }
            col.push_null();
            return Ok(());
        }
        Some(v) => v,
    };
    let bad = || mismatch(field, record, v);
    match &field.data_type {
        DataType::Int64 => {
            let x = v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())).ok_or_else(bad)?;
            col.push_i64(x);
        }
        DataType::Float64 => {
            let x = v.as_f64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())).ok_or_else(bad)?;
            col.push_f64(x);
        }
        DataType::Bool => {
            let x = v
                .as_bool()
                .or_else(|| match v.as_str().map(|s| s.trim().to_ascii_lowercase()) {
                    Some(s) if s == "true" => Some(true),
                    Some(s) if s == "false" => Some(false),
                    _ => None,
                })
                .ok_or_else(bad)?;
            col.push_bool(x);
        }
        DataType::Utf8 => match v {
            Value::String(s) => col.push_str(s),
            other => col.push_str(&other.to_string()),
        },
        DataType::Date32 => col.push_date32(v.as_str().and_then(parse_date).ok_or_else(bad)?),
        DataType::Timestamp { .. } => col.push_timestamp(v.as_str().and_then(parse_timestamp).ok_or_else(bad)?),
        DataType::Decimal128 { .. } => return Err(bad()),
    }
    Ok(())
}
