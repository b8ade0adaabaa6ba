//! Test exports for tests/unit/pdk: `sample` (a Rust-encoded batch of every contract type),
//! `describe` (decodes the input batch and reports its values as JSON), `echo` (decode +
//! re-encode), `checksum`, `json` (parse + re-serialise), `fail` (an error record), `big`.

use dativo_pdk::arrow::{self, Column, DataType, Field, RecordBatch, Values};
use dativo_pdk::export::{run, OpenParams, Reader};
use dativo_pdk::json::{self, Value};
use dativo_pdk::{host, Error};

fn sample() -> RecordBatch {
    let ts_utc = DataType::Timestamp { tz: Some("UTC".into()) };
    let dec = DataType::Decimal128 { precision: 12, scale: 2 };
    let mut c: Vec<Column> = [
        DataType::Int64,
        DataType::Float64,
        DataType::Bool,
        DataType::Utf8,
        DataType::Date32,
        DataType::Timestamp { tz: None },
        ts_utc.clone(),
        dec.clone(),
    ]
    .into_iter()
    .map(Column::new)
    .collect();
    // Row 0
    c[0].push_i64(i64::MAX);
    c[1].push_f64(1.5);
    c[2].push_bool(true);
    c[3].push_str("héllo, \"world\"");
    c[4].push_date32(19_000);
    c[5].push_timestamp(1_700_000_000_123_456);
    c[6].push_timestamp(-1);
    c[7].push_decimal(12_345);
    // Row 1: nulls everywhere
    for col in c.iter_mut() {
        col.push_null();
    }
    // Rows 2..10
    for i in 2..10i64 {
        c[0].push_i64(-i);
        c[1].push_f64(i as f64 / 4.0);
        c[2].push_bool(i % 3 == 0);
        c[3].push_str(if i == 5 { "" } else { "x" });
        c[4].push_date32(-(i as i32));
        c[5].push_timestamp(i * 1_000_000);
        c[6].push_timestamp(i);
        c[7].push_decimal(-(i as i128) * 100_000_000_000);
    }
    let fields = vec![
        Field::new("i", DataType::Int64, false),
        Field::new("f", DataType::Float64, true),
        Field::new("b", DataType::Bool, true),
        Field::new("s", DataType::Utf8, true),
        Field::new("d", DataType::Date32, true),
        Field::new("ts", DataType::Timestamp { tz: None }, true),
        Field::new("tz", ts_utc, true),
        Field::new("dec", dec, true),
    ];
    RecordBatch::new(fields, c).expect("sample batch")
}

fn type_name(t: &DataType) -> String {
    match t {
        DataType::Int64 => "int64".into(),
        DataType::Float64 => "float64".into(),
        DataType::Bool => "bool".into(),
        DataType::Utf8 => "utf8".into(),
        DataType::Date32 => "date32".into(),
        DataType::Timestamp { tz: None } => "timestamp[us]".into(),
        DataType::Timestamp { tz: Some(z) } => format!("timestamp[us, {z}]"),
        DataType::Decimal128 { precision, scale } => format!("decimal128({precision},{scale})"),
    }
}

/// Values as JSON, integers and decimals as strings (exact), nulls as null.
fn describe(b: &RecordBatch) -> Value {
    let cols = b
        .fields
        .iter()
        .zip(&b.columns)
        .map(|(f, c)| {
            let vals = (0..c.len())
                .map(|i| match &c.values {
                    Values::Int64(_) | Values::Timestamp(_) => c.i64(i).map_or(Value::Null, |v| v.to_string().into()),
                    Values::Float64(_) => c.f64(i).map_or(Value::Null, Value::from),
                    Values::Bool(_) => c.bool(i).map_or(Value::Null, Value::from),
                    Values::Utf8 { .. } => c.str(i).map_or(Value::Null, Value::from),
                    Values::Date32(_) => c.date32(i).map_or(Value::Null, |v| Value::from(v as i64)),
                    Values::Decimal128(_) => c.decimal(i).map_or(Value::Null, |v| v.to_string().into()),
                })
                .collect();
            json::object([
                ("name", Value::from(f.name.as_str())),
                ("type", Value::from(type_name(&f.data_type))),
                ("nullable", Value::from(f.nullable)),
                ("nulls", Value::from(c.null_count() as i64)),
                ("values", Value::Array(vals)),
            ])
        })
        .collect();
    json::object([("rows", Value::from(b.num_rows() as i64)), ("columns", Value::Array(cols))])
}

#[export_name = "sample"]
pub extern "C" fn export_sample() -> i32 {
    run(|| {
        host::output(&arrow::encode(&sample()));
        Ok(())
    })
}

#[export_name = "describe"]
pub extern "C" fn export_describe() -> i32 {
    run(|| {
        let b = arrow::decode(&host::input())?;
        host::output(describe(&b).to_string().as_bytes());
        Ok(())
    })
}

#[export_name = "echo"]
pub extern "C" fn export_echo() -> i32 {
    run(|| {
        let b = arrow::decode(&host::input())?;
        host::output(&arrow::encode(&b));
        Ok(())
    })
}

/// Sum of an int64 column "n" and total bytes of a utf8 column "s": a cheap whole-batch check.
#[export_name = "checksum"]
pub extern "C" fn export_checksum() -> i32 {
    run(|| {
        let b = arrow::decode(&host::input())?;
        let n = b.column("n").ok_or_else(|| Error::bad_input("no column n"))?;
        let s = b.column("s").ok_or_else(|| Error::bad_input("no column s"))?;
        let sum: i64 = (0..n.len()).filter_map(|i| n.i64(i)).fold(0i64, |a, v| a.wrapping_add(v));
        let bytes: usize = (0..s.len()).filter_map(|i| s.bytes(i)).map(|x| x.len()).sum();
        let out = json::object([
            ("rows", Value::from(b.num_rows() as i64)),
            ("sum", Value::from(sum.to_string())),
            ("bytes", Value::from(bytes as i64)),
            ("nulls", Value::from(s.null_count() as i64)),
        ]);
        host::output(out.to_string().as_bytes());
        Ok(())
    })
}

/// `rows` rows (input text) of n = 0.., s = "row-<n>" (every 7th null).
#[export_name = "big"]
pub extern "C" fn export_big() -> i32 {
    run(|| {
        let rows: usize = String::from_utf8_lossy(&host::input()).trim().parse().map_err(|_| Error::bad_input("rows?"))?;
        let mut n = Column::with_capacity(DataType::Int64, rows);
        let mut s = Column::with_capacity(DataType::Utf8, rows);
        for i in 0..rows {
            n.push_i64(i as i64);
            if i % 7 == 0 {
                s.push_null();
            } else {
                s.push_str(&format!("row-{i}"));
            }
        }
        let fields = vec![Field::new("n", DataType::Int64, false), Field::new("s", DataType::Utf8, true)];
        host::output(&arrow::encode(&RecordBatch::new(fields, vec![n, s])?));
        Ok(())
    })
}

#[export_name = "json"]
pub extern "C" fn export_json() -> i32 {
    run(|| {
        let v = json::parse_bytes(&host::input())?;
        host::output(v.to_string().as_bytes());
        Ok(())
    })
}

#[export_name = "fail"]
pub extern "C" fn export_fail() -> i32 {
    run(|| Err(Error::retryable("RATE_LIMITED", "slow down, \"please\"")))
}

/// Reads the config and a state key through the host functions and reports them.
#[export_name = "host_calls"]
pub extern "C" fn export_host_calls() -> i32 {
    run(|| {
        let cfg = host::config()?;
        let before = host::state_get("cursor")?;
        host::state_set("cursor", "42")?;
        host::log_info("host_calls ran");
        let out = json::object([("config", cfg), ("before", before.map_or(Value::Null, Value::from))]);
        host::output(out.to_string().as_bytes());
        Ok(())
    })
}

/// A secret the job did not grant: the host fails the whole call (PLUGIN_DENIED).
#[export_name = "secret"]
pub extern "C" fn export_secret() -> i32 {
    run(|| {
        let v = host::secret_get("nope")?;
        host::output(v.as_bytes());
        Ok(())
    })
}

/// Input bytes back as they are (the conformance suite's echo compares bytes).
#[export_name = "passthrough"]
pub extern "C" fn export_passthrough() -> i32 {
    run(|| {
        host::output(&host::input());
        Ok(())
    })
}

/// The conformance generator through the Reader trait: `batches` batches of `rows` rows,
/// id = 1.. (int64), name = "row-<id>" (utf8); config {"batches", "rows"}.
struct Generator {
    left: i64,
    rows: i64,
    next_id: i64,
}

impl Reader for Generator {
    fn open(_params: OpenParams) -> dativo_pdk::Result<Self> {
        let cfg = host::config()?;
        let batches = cfg.at("batches").as_i64().unwrap_or(3);
        let rows = cfg.at("rows").as_i64().unwrap_or(1000);
        Ok(Generator { left: batches, rows, next_id: 1 })
    }
    fn next_batch(&mut self) -> dativo_pdk::Result<Option<RecordBatch>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let mut id = Column::with_capacity(DataType::Int64, self.rows as usize);
        let mut name = Column::with_capacity(DataType::Utf8, self.rows as usize);
        for _ in 0..self.rows {
            id.push_i64(self.next_id);
            name.push_str(&format!("row-{}", self.next_id));
            self.next_id += 1;
        }
        host::state_set("cursor", &(self.next_id - 1).to_string())?;
        let fields = vec![Field::new("id", DataType::Int64, false), Field::new("name", DataType::Utf8, true)];
        Ok(Some(RecordBatch::new(fields, vec![id, name])?))
    }
}

dativo_pdk::reader!(Generator);
