//! Arrow IPC stream encoder: schema message, one record batch, end-of-stream marker, with no
//! dictionaries and no compression (the batch framing of architecture §4).

use super::array::{Column, DataType, Field, RecordBatch, Values};
use super::flatbuf::{finish, Obj, Slot};

const V5: i16 = 4;
const HEADER_SCHEMA: u8 = 1;
const HEADER_RECORD_BATCH: u8 = 3;

// Type union tags (Schema.fbs).
const T_INT: u8 = 2;
const T_FLOAT: u8 = 3;
const T_UTF8: u8 = 5;
const T_BOOL: u8 = 6;
const T_DECIMAL: u8 = 7;
const T_DATE: u8 = 8;
const T_TIMESTAMP: u8 = 10;

fn type_of(t: &DataType) -> (u8, Obj) {
    match t {
        DataType::Int64 => (T_INT, Obj::Table(vec![(0, Slot::I32(64)), (1, Slot::Bool(true))])),
        DataType::Float64 => (T_FLOAT, Obj::Table(vec![(0, Slot::I16(2))])),
        DataType::Bool => (T_BOOL, Obj::Table(vec![])),
        DataType::Utf8 => (T_UTF8, Obj::Table(vec![])),
        DataType::Date32 => (T_DATE, Obj::Table(vec![(0, Slot::I16(0))])),
        DataType::Timestamp { tz } => {
            let mut f = vec![(0, Slot::I16(2))]; // MICROSECOND
            if let Some(tz) = tz {
                f.push((1, Slot::Off(Obj::Str(tz.clone()))));
            }
            (T_TIMESTAMP, Obj::Table(f))
        }
        DataType::Decimal128 { precision, scale } => (
            T_DECIMAL,
            Obj::Table(vec![(0, Slot::I32(*precision as i32)), (1, Slot::I32(*scale as i32)), (2, Slot::I32(128))]),
        ),
    }
}

fn field_obj(f: &Field) -> Obj {
    let (tag, ty) = type_of(&f.data_type);
    Obj::Table(vec![
        (0, Slot::Off(Obj::Str(f.name.clone()))),
        (1, Slot::Bool(f.nullable)),
        (2, Slot::U8(tag)),
        (3, Slot::Off(ty)),
        (5, Slot::Off(Obj::Tables(vec![]))),
    ])
}

fn message(header_type: u8, header: Obj, body_len: usize) -> Vec<u8> {
    finish(Obj::Table(vec![
        (0, Slot::I16(V5)),
        (1, Slot::U8(header_type)),
        (2, Slot::Off(header)),
        (3, Slot::I64(body_len as i64)),
    ]))
}

/// Appends an encapsulated message: continuation marker, metadata length, metadata (8-aligned).
fn frame(out: &mut Vec<u8>, meta: &[u8]) {
    let padded = meta.len().div_ceil(8) * 8;
    out.extend_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    out.extend_from_slice(&(padded as i32).to_le_bytes());
    out.extend_from_slice(meta);
    out.resize(out.len() + padded - meta.len(), 0);
}

fn as_bytes<T: Copy>(v: &[T]) -> &[u8] {
    // SAFETY: plain-old-data numbers; wasm32 (and every host we build for) is little-endian,
    // which is Arrow's byte order.
    unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, std::mem::size_of_val(v)) }
}

/// The buffers of one column in Arrow's order; an empty validity buffer means "no nulls".
fn buffers(c: &Column) -> Vec<&[u8]> {
    let len = c.len();
    let validity: &[u8] = if c.null_count() == 0 { &[] } else { &c.validity()[..len.div_ceil(8)] };
    match &c.values {
        Values::Int64(v) | Values::Timestamp(v) => vec![validity, as_bytes(&v[..len])],
        Values::Float64(v) => vec![validity, as_bytes(&v[..len])],
        Values::Date32(v) => vec![validity, as_bytes(&v[..len])],
        Values::Decimal128(v) => vec![validity, as_bytes(&v[..len])],
        Values::Bool(bits) => vec![validity, &bits[..len.div_ceil(8).min(bits.len())]],
        Values::Utf8 { offsets, data } => {
            let end = offsets[len] as usize;
            vec![validity, as_bytes(&offsets[..len + 1]), &data[..end]]
        }
    }
}

/// Encodes `batch` as one complete IPC stream.
pub fn encode(batch: &RecordBatch) -> Vec<u8> {
    let schema = Obj::Table(vec![
        (0, Slot::I16(0)), // little-endian
        (1, Slot::Off(Obj::Tables(batch.fields.iter().map(field_obj).collect()))),
    ]);
    let schema_meta = message(HEADER_SCHEMA, schema, 0);

    let rows = batch.num_rows();
    let mut nodes = Vec::with_capacity(batch.columns.len());
    let mut layout = Vec::new();
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut body_len = 0usize;
    for c in &batch.columns {
        nodes.push((c.len() as i64, c.null_count() as i64));
        for b in buffers(c) {
            layout.push((body_len as i64, b.len() as i64));
            parts.push(b);
            body_len += b.len().div_ceil(8) * 8;
        }
    }
    let header = Obj::Table(vec![
        (0, Slot::I64(rows as i64)),
        (1, Slot::Off(Obj::Pairs(nodes))),
        (2, Slot::Off(Obj::Pairs(layout))),
    ]);
    let batch_meta = message(HEADER_RECORD_BATCH, header, body_len);

    let mut out = Vec::with_capacity(schema_meta.len() + batch_meta.len() + body_len + 32);
    frame(&mut out, &schema_meta);
    frame(&mut out, &batch_meta);
    for p in parts {
        out.extend_from_slice(p);
        out.resize(out.len().div_ceil(8) * 8, 0);
    }
    out.extend_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out
}
