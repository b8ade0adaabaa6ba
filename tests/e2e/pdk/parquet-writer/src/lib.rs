//! Test plugin: a writer that turns each batch into one Parquet row group (PLAIN, uncompressed,
//! one data page per column) appended to one output, and writes the footer at commit. It stands
//! for any plugin that produces plain Parquet for an Iceberg target: the host checks the footer
//! and re-encodes the rows into the table's own data files.
//!
//! Config: `output` (file name, default `<stream>.parquet`), `json_columns` (utf8 columns annotated
//! as JSON), `uint_columns` (int64 columns annotated UINT_64, which the host must refuse).

mod thrift;

use dativo_pdk::arrow::{Column, DataType, Field, RecordBatch};
use dativo_pdk::json::{self, Value};
use dativo_pdk::{host, Error, OpenParams, Result, Writer};
use thrift::Writer as Thrift;

struct ChunkMeta {
    offset: i64,
    size: i64,
    values: i64,
}

struct RowGroup {
    rows: i64,
    chunks: Vec<ChunkMeta>,
}

pub struct ParquetWriter {
    output: String,
    json_columns: Vec<String>,
    uint_columns: Vec<String>,
    fields: Option<Vec<Field>>,
    groups: Vec<RowGroup>,
    offset: i64,
}

fn names(v: &Value) -> Vec<String> {
    v.as_array().unwrap_or(&[]).iter().filter_map(|x| x.as_str().map(String::from)).collect()
}

/// Parquet physical type of an Arrow column type.
fn physical(t: &DataType) -> i32 {
    match t {
        DataType::Bool => 0,
        DataType::Date32 => 1,
        DataType::Int64 | DataType::Timestamp { .. } | DataType::Decimal128 { .. } => 2,
        DataType::Float64 => 5,
        DataType::Utf8 => 6,
    }
}

/// Definition levels (1 = present), RLE-encoded runs with their 4-byte length prefix.
fn def_levels(col: &Column, n: usize, out: &mut Vec<u8>) {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < n {
        let v = u8::from(!col.is_null(i));
        let mut j = i;
        while j < n && u8::from(!col.is_null(j)) == v {
            j += 1;
        }
        let mut len = ((j - i) as u64) << 1;
        while len >= 0x80 {
            runs.push((len as u8) | 0x80);
            len >>= 7;
        }
        runs.push(len as u8);
        runs.push(v);
        i = j;
    }
    out.extend_from_slice(&(runs.len() as u32).to_le_bytes());
    out.extend_from_slice(&runs);
}

/// PLAIN values of the non-null rows.
fn plain(col: &Column, n: usize, out: &mut Vec<u8>) {
    let mut bits = 0u8;
    let mut nbits = 0;
    for i in (0..n).filter(|&i| !col.is_null(i)) {
        match &col.data_type {
            DataType::Int64 => out.extend_from_slice(&col.i64(i).unwrap_or(0).to_le_bytes()),
            DataType::Timestamp { .. } => out.extend_from_slice(&col.timestamp(i).unwrap_or(0).to_le_bytes()),
            DataType::Decimal128 { .. } => out.extend_from_slice(&(col.decimal(i).unwrap_or(0) as i64).to_le_bytes()),
            DataType::Float64 => out.extend_from_slice(&col.f64(i).unwrap_or(0.0).to_le_bytes()),
            DataType::Date32 => out.extend_from_slice(&col.date32(i).unwrap_or(0).to_le_bytes()),
            DataType::Utf8 => {
                let s = col.str(i).unwrap_or("").as_bytes();
                out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                out.extend_from_slice(s);
            }
            DataType::Bool => {
                bits |= u8::from(col.bool(i).unwrap_or(false)) << nbits;
                nbits += 1;
                if nbits == 8 {
                    out.push(bits);
                    bits = 0;
                    nbits = 0;
                }
            }
        }
    }
    if nbits > 0 {
        out.push(bits);
    }
}

/// One column chunk: a page header and one data page.
fn column_chunk(field: &Field, col: &Column, n: usize) -> Vec<u8> {
    let mut page = Vec::new();
    if field.nullable {
        def_levels(col, n, &mut page);
    }
    plain(col, n, &mut page);
    let mut h = Thrift::new();
    h.i32(1, 0); // DATA_PAGE
    h.i32(2, page.len() as i32);
    h.i32(3, page.len() as i32);
    h.begin(5);
    h.i32(1, n as i32);
    h.i32(2, 0); // PLAIN
    h.i32(3, 3); // RLE
    h.i32(4, 3);
    h.end();
    h.buf.push(0);
    h.buf.extend_from_slice(&page);
    h.buf
}

impl ParquetWriter {
    fn schema_element(&self, t: &mut Thrift, f: &Field) {
        t.element();
        t.i32(1, physical(&f.data_type));
        t.i32(3, i32::from(f.nullable)); // REQUIRED 0, OPTIONAL 1
        t.binary(4, f.name.as_bytes());
        let json = self.json_columns.contains(&f.name);
        let uint = self.uint_columns.contains(&f.name);
        match &f.data_type {
            DataType::Utf8 => {
                t.i32(6, if json { 19 } else { 0 }); // JSON, UTF8
                t.begin(10);
                t.begin(if json { 12 } else { 1 });
                t.end();
                t.end();
            }
            DataType::Int64 if uint => t.i32(6, 14), // UINT_64
            DataType::Date32 => {
                t.i32(6, 6);
                t.begin(10);
                t.begin(6);
                t.end();
                t.end();
            }
            DataType::Timestamp { tz } => {
                if tz.is_some() {
                    t.i32(6, 10); // TIMESTAMP_MICROS implies UTC-adjusted
                }
                t.begin(10);
                t.begin(8);
                t.bool(1, tz.is_some());
                t.begin(2);
                t.begin(2); // MICROS
                t.end();
                t.end();
                t.end();
                t.end();
            }
            DataType::Decimal128 { precision, scale } => {
                t.i32(6, 5);
                t.i32(7, i32::from(*scale));
                t.i32(8, i32::from(*precision));
            }
            _ => {}
        }
        t.end();
    }

    fn footer(&self) -> Vec<u8> {
        let fields = self.fields.clone().unwrap_or_default();
        let mut t = Thrift::new();
        t.i32(1, 1);
        t.list(2, thrift::STRUCT, fields.len() + 1);
        t.element();
        t.binary(4, b"schema");
        t.i32(5, fields.len() as i32);
        t.end();
        for f in &fields {
            self.schema_element(&mut t, f);
        }
        t.i64(3, self.groups.iter().map(|g| g.rows).sum());
        t.list(4, thrift::STRUCT, self.groups.len());
        for g in &self.groups {
            t.element();
            t.list(1, thrift::STRUCT, g.chunks.len());
            for (f, c) in fields.iter().zip(&g.chunks) {
                t.element();
                t.i64(2, c.offset);
                t.begin(3);
                t.i32(1, physical(&f.data_type));
                t.list(2, thrift::I32, 2);
                t.element_i32(0);
                t.element_i32(3);
                t.list(3, thrift::BINARY, 1);
                t.element_binary(f.name.as_bytes());
                t.i32(4, 0); // UNCOMPRESSED
                t.i64(5, c.values);
                t.i64(6, c.size);
                t.i64(7, c.size);
                t.i64(9, c.offset);
                t.end();
                t.end();
            }
            t.i64(2, g.chunks.iter().map(|c| c.size).sum());
            t.i64(3, g.rows);
            t.end();
        }
        t.binary(6, b"dativo pdk-parquet-writer test plugin");
        t.buf.push(0);
        t.buf
    }
}

impl Writer for ParquetWriter {
    fn open(params: OpenParams) -> Result<Self> {
        let config = host::config()?;
        let output = match config.at("output").as_str() {
            Some(name) => name.to_string(),
            None => format!("{}.parquet", params.stream.as_deref().filter(|s| !s.is_empty()).unwrap_or("data")),
        };
        if output.is_empty() || output.starts_with('.') || output.contains('/') {
            return Err(Error::config(format!("output \"{output}\" must be a plain file name")));
        }
        Ok(ParquetWriter {
            output,
            json_columns: names(config.at("json_columns")),
            uint_columns: names(config.at("uint_columns")),
            fields: None,
            groups: Vec::new(),
            offset: 0,
        })
    }

    fn write_batch(&mut self, batch: RecordBatch) -> Result<()> {
        let n = batch.num_rows();
        if n == 0 {
            return Ok(());
        }
        if self.fields.is_none() {
            host::output_write(&self.output, b"PAR1")?;
            self.offset = 4;
            self.fields = Some(batch.fields.clone());
        }
        let mut chunks = Vec::new();
        for (f, col) in batch.fields.iter().zip(&batch.columns) {
            let bytes = column_chunk(f, col, n);
            host::output_write(&self.output, &bytes)?;
            chunks.push(ChunkMeta { offset: self.offset, size: bytes.len() as i64, values: n as i64 });
            self.offset += bytes.len() as i64;
        }
        self.groups.push(RowGroup { rows: n as i64, chunks });
        Ok(())
    }

    fn commit(&mut self) -> Result<Value> {
        let rows: i64 = self.groups.iter().map(|g| g.rows).sum();
        if self.fields.is_some() {
            let footer = self.footer();
            let mut tail = footer.clone();
            tail.extend_from_slice(&(footer.len() as u32).to_le_bytes());
            tail.extend_from_slice(b"PAR1");
            host::output_write(&self.output, &tail)?;
        }
        Ok(json::object([("rows", Value::from(rows as u64)), ("output", Value::from(self.output.as_str()))]))
    }
}

dativo_pdk::writer!(ParquetWriter);
