//! Arrow IPC stream decoder for batches the host sends (a writer's `write_batch`): schema
//! message, one record batch, end-of-stream. Besides the contract's types it widens what
//! apache-arrow may choose for the same values (narrower ints/floats, Date(ms), other timestamp
//! units), so a plugin always sees the seven contract types.

use super::array::{Column, DataType, Field, RecordBatch, Values};
use super::flatbuf::{Fb, R};
use crate::error::{Error, Result};

const HEADER_SCHEMA: u8 = 1;
const HEADER_DICTIONARY: u8 = 2;
const HEADER_RECORD_BATCH: u8 = 3;

/// How the wire type maps onto a contract type.
#[derive(Clone, Copy, Debug)]
enum Wire {
    Int { bytes: usize, signed: bool },
    Float { bytes: usize },
    Bool,
    Utf8,
    DateDay,
    DateMs,
    /// Multiply (or divide, when negative) to reach microseconds.
    Ts { to_micros: i64 },
    Decimal,
}

fn bad(msg: impl Into<String>) -> Error {
    Error::bad_input(format!("malformed Arrow IPC: {}", msg.into()))
}

fn read_field(fb: &Fb, f: usize) -> R<std::result::Result<(Field, Wire), String>> {
    let name = match fb.child(f, 0)? {
        Some(p) => fb.str(p)?.to_string(),
        None => String::new(),
    };
    let nullable = fb.field(f, 1)?.map(|p| fb.u8(p)).transpose()?.unwrap_or(0) != 0;
    if fb.field(f, 4)?.is_some() {
        return Ok(Err("dictionary-encoded columns are not supported".into()));
    }
    let tag = fb.field(f, 2)?.map(|p| fb.u8(p)).transpose()?.unwrap_or(0);
    let t = fb.child(f, 3)?;
    let int = |id: usize, def: i32| -> R<i32> {
        match t {
            Some(t) => Ok(fb.field(t, id)?.map(|p| fb.i32(p)).transpose()?.unwrap_or(def)),
            None => Ok(def),
        }
    };
    let short = |id: usize, def: i16| -> R<i16> {
        match t {
            Some(t) => Ok(fb.field(t, id)?.map(|p| fb.i16(p)).transpose()?.unwrap_or(def)),
            None => Ok(def),
        }
    };
    let (dt, wire) = match tag {
        2 => {
            let bits = int(0, 0)?;
            let signed = match t {
                Some(t) => fb.field(t, 1)?.map(|p| fb.u8(p)).transpose()?.unwrap_or(0) != 0,
                None => false,
            };
            if !matches!(bits, 8 | 16 | 32 | 64) || (bits == 64 && !signed) {
                return Ok(Err(format!("column {name}: integer type {bits} bits, signed={signed} is not supported")));
            }
            (DataType::Int64, Wire::Int { bytes: bits as usize / 8, signed })
        }
        3 => match short(0, 0)? {
            1 => (DataType::Float64, Wire::Float { bytes: 4 }),
            2 => (DataType::Float64, Wire::Float { bytes: 8 }),
            _ => return Ok(Err(format!("column {name}: half floats are not supported"))),
        },
        5 => (DataType::Utf8, Wire::Utf8),
        6 => (DataType::Bool, Wire::Bool),
        7 => {
            let (p, s, w) = (int(0, 0)?, int(1, 0)?, int(2, 128)?);
            if w != 128 {
                return Ok(Err(format!("column {name}: decimal{w} is not supported (decimal128 only)")));
            }
            (DataType::Decimal128 { precision: p as u8, scale: s as i8 }, Wire::Decimal)
        }
        8 => match short(0, 1)? {
            0 => (DataType::Date32, Wire::DateDay),
            _ => (DataType::Date32, Wire::DateMs),
        },
        10 => {
            let unit = short(0, 0)?;
            let tz = match t {
                Some(t) => fb.child(t, 1)?.map(|p| fb.str(p)).transpose()?.map(str::to_string),
                None => None,
            };
            let to_micros = match unit {
                0 => 1_000_000,
                1 => 1_000,
                2 => 1,
                _ => -1_000,
            };
            (DataType::Timestamp { tz }, Wire::Ts { to_micros })
        }
        other => return Ok(Err(format!("column {name}: Arrow type #{other} is not a contract type"))),
    };
    Ok(Ok((Field { name, data_type: dt, nullable }, wire)))
}

fn le<const N: usize>(b: &[u8], i: usize) -> [u8; N] {
    b[i * N..i * N + N].try_into().unwrap_or([0; N])
}

fn build(dt: DataType, wire: Wire, len: usize, nulls: i64, bufs: &[&[u8]]) -> Result<Column> {
    let need = |b: &[u8], n: usize, what: &str| -> Result<()> {
        if b.len() < n {
            return Err(bad(format!("{what} buffer holds {} bytes, {n} needed", b.len())));
        }
        Ok(())
    };
    let validity = if nulls == 0 || bufs[0].is_empty() {
        Vec::new()
    } else {
        need(bufs[0], len.div_ceil(8), "validity")?;
        bufs[0][..len.div_ceil(8)].to_vec()
    };
    let data = bufs.get(1).copied().unwrap_or(&[]);
    let values = match wire {
        Wire::Int { bytes, signed } => {
            need(data, len * bytes, "values")?;
            Values::Int64(
                (0..len)
                    .map(|i| match (bytes, signed) {
                        (8, _) => i64::from_le_bytes(le(data, i)),
                        (4, true) => i32::from_le_bytes(le(data, i)) as i64,
                        (4, false) => u32::from_le_bytes(le(data, i)) as i64,
                        (2, true) => i16::from_le_bytes(le(data, i)) as i64,
                        (2, false) => u16::from_le_bytes(le(data, i)) as i64,
                        (_, true) => data[i] as i8 as i64,
                        (_, false) => data[i] as i64,
                    })
                    .collect(),
            )
        }
        Wire::Float { bytes } => {
            need(data, len * bytes, "values")?;
            Values::Float64(
                (0..len)
                    .map(|i| if bytes == 8 { f64::from_le_bytes(le(data, i)) } else { f32::from_le_bytes(le(data, i)) as f64 })
                    .collect(),
            )
        }
        Wire::Bool => {
            need(data, len.div_ceil(8), "values")?;
            Values::Bool(data[..len.div_ceil(8)].to_vec())
        }
        Wire::DateDay => {
            need(data, len * 4, "values")?;
            Values::Date32((0..len).map(|i| i32::from_le_bytes(le(data, i))).collect())
        }
        Wire::DateMs => {
            need(data, len * 8, "values")?;
            Values::Date32((0..len).map(|i| i64::from_le_bytes(le(data, i)).div_euclid(86_400_000) as i32).collect())
        }
        Wire::Ts { to_micros } => {
            need(data, len * 8, "values")?;
            Values::Timestamp(
                (0..len)
                    .map(|i| {
                        let v = i64::from_le_bytes(le(data, i));
                        if to_micros >= 0 { v.saturating_mul(to_micros) } else { v.div_euclid(-to_micros) }
                    })
                    .collect(),
            )
        }
        Wire::Decimal => {
            need(data, len * 16, "values")?;
            Values::Decimal128((0..len).map(|i| i128::from_le_bytes(le(data, i))).collect())
        }
        Wire::Utf8 => {
            need(data, (len + 1) * 4, "offsets")?;
            let raw: Vec<i32> = (0..=len).map(|i| i32::from_le_bytes(le(data, i))).collect();
            let (first, last) = (raw[0], raw[len]);
            let chars = bufs.get(2).copied().unwrap_or(&[]);
            if first < 0 || last < first || last as usize > chars.len() {
                return Err(bad("utf8 offsets out of range"));
            }
            let offsets = raw.iter().map(|o| o - first).collect();
            Values::Utf8 { offsets, data: chars[first as usize..last as usize].to_vec() }
        }
    };
    Ok(Column::from_parts(dt, values, validity, len))
}

/// Decodes one IPC stream holding exactly one record batch (no dictionaries, no compression).
pub fn decode(bytes: &[u8]) -> Result<RecordBatch> {
    let mut pos = 0usize;
    let mut schema: Option<Vec<(Field, Wire)>> = None;
    let mut batch: Option<RecordBatch> = None;
    while pos < bytes.len() {
        let word = |p: usize| -> Result<i32> {
            bytes.get(p..p + 4).map(|s| i32::from_le_bytes(s.try_into().unwrap_or([0; 4]))).ok_or_else(|| bad("truncated message prefix"))
        };
        let mut len = word(pos)?;
        pos += 4;
        if len == -1 {
            len = word(pos)?;
            pos += 4;
        }
        if len == 0 {
            break;
        }
        if len < 0 || pos + len as usize > bytes.len() {
            return Err(bad("message metadata runs past the end of the payload"));
        }
        let fb = Fb { b: &bytes[pos..pos + len as usize] };
        pos += len as usize;
        let parsed = (|| -> R<(u8, usize, i64)> {
            let msg = fb.root()?;
            let ht = fb.field(msg, 1)?.map(|p| fb.u8(p)).transpose()?.unwrap_or(0);
            let header = fb.child(msg, 2)?.ok_or("message without a header")?;
            let body_len = fb.field(msg, 3)?.map(|p| fb.i64(p)).transpose()?.unwrap_or(0);
            Ok((ht, header, body_len))
        })();
        let (ht, header, body_len) = parsed.map_err(bad)?;
        if body_len < 0 || pos + body_len as usize > bytes.len() {
            return Err(bad("message body runs past the end of the payload"));
        }
        let body = &bytes[pos..pos + body_len as usize];
        pos += body_len as usize;
        match ht {
            HEADER_SCHEMA => {
                let fields = (|| -> R<Vec<usize>> {
                    match fb.child(header, 1)? {
                        Some(v) => fb.tables(v),
                        None => Ok(vec![]),
                    }
                })()
                .map_err(bad)?;
                let mut out = Vec::with_capacity(fields.len());
                for f in fields {
                    match read_field(&fb, f).map_err(bad)? {
                        Ok(x) => out.push(x),
                        Err(msg) => return Err(Error::bad_input(msg)),
                    }
                }
                schema = Some(out);
            }
            HEADER_DICTIONARY => return Err(Error::bad_input("dictionary batches are not supported")),
            HEADER_RECORD_BATCH => {
                if batch.is_some() {
                    return Err(Error::bad_input("an IPC batch must hold exactly one record batch"));
                }
                let fields = schema.as_ref().ok_or_else(|| bad("record batch before the schema"))?;
                let (rows, nodes, layout, compressed) = (|| -> R<(i64, Vec<(i64, i64)>, Vec<(i64, i64)>, bool)> {
                    let rows = fb.field(header, 0)?.map(|p| fb.i64(p)).transpose()?.unwrap_or(0);
                    let nodes = match fb.child(header, 1)? {
                        Some(v) => fb.pairs(v)?,
                        None => vec![],
                    };
                    let layout = match fb.child(header, 2)? {
                        Some(v) => fb.pairs(v)?,
                        None => vec![],
                    };
                    Ok((rows, nodes, layout, fb.field(header, 3)?.is_some()))
                })()
                .map_err(bad)?;
                if compressed {
                    return Err(Error::bad_input("compressed record batches are not supported"));
                }
                let mut next = 0usize;
                let mut columns = Vec::with_capacity(fields.len());
                for (i, (field, wire)) in fields.iter().enumerate() {
                    let (len, nulls) = *nodes.get(i).ok_or_else(|| bad("fewer field nodes than fields"))?;
                    let count = if matches!(wire, Wire::Utf8) { 3 } else { 2 };
                    let mut bufs: Vec<&[u8]> = Vec::with_capacity(count);
                    for _ in 0..count {
                        let (off, blen) = *layout.get(next).ok_or_else(|| bad("fewer buffers than the schema needs"))?;
                        next += 1;
                        if off < 0 || blen < 0 || (off + blen) as usize > body.len() {
                            return Err(bad("buffer runs past the message body"));
                        }
                        bufs.push(&body[off as usize..(off + blen) as usize]);
                    }
                    if len != rows {
                        return Err(bad(format!("column {} has {len} rows, the batch {rows}", field.name)));
                    }
                    columns.push(build(field.data_type.clone(), *wire, len as usize, nulls, &bufs)?);
                }
                let fields = fields.iter().map(|(f, _)| f.clone()).collect();
                batch = Some(RecordBatch::new(fields, columns)?);
            }
            other => return Err(bad(format!("unknown message type {other}"))),
        }
    }
    batch.ok_or_else(|| Error::bad_input("the IPC stream holds no record batch"))
}
