//! Columns and record batches for the contract's types (architecture §4): int64, float64, bool,
//! utf8, date32, timestamp(us, optional tz), decimal128(p, s). Each column keeps Arrow's own
//! layout (validity bitmap, values or offsets + data) so encoding is a copy of its buffers.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataType {
    Int64,
    Float64,
    Bool,
    Utf8,
    /// Days since 1970-01-01.
    Date32,
    /// Microseconds since the epoch; `tz` = `Some("UTC")` for instants, `None` for naive values.
    Timestamp { tz: Option<String> },
    /// 128-bit unscaled integer with `precision` digits, `scale` of them after the point.
    Decimal128 { precision: u8, scale: i8 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub data_type: DataType,
    pub nullable: bool,
}

impl Field {
    pub fn new(name: impl Into<String>, data_type: DataType, nullable: bool) -> Self {
        Field { name: name.into(), data_type, nullable }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    Int64(Vec<i64>),
    Float64(Vec<f64>),
    /// Bit-packed, LSB first, like the validity bitmap.
    Bool(Vec<u8>),
    /// `offsets.len() == len + 1`.
    Utf8 { offsets: Vec<i32>, data: Vec<u8> },
    Date32(Vec<i32>),
    Timestamp(Vec<i64>),
    Decimal128(Vec<i128>),
}

/// One column: a type, its values and a validity bitmap (bit set = valid).
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub data_type: DataType,
    pub values: Values,
    validity: Vec<u8>,
    len: usize,
    null_count: usize,
}

#[inline]
fn set_bit(bits: &mut Vec<u8>, i: usize, v: bool) {
    if i / 8 >= bits.len() {
        bits.push(0);
    }
    if v {
        // The byte exists: pushed above when i crosses into it.
        bits[i / 8] |= 1 << (i % 8);
    }
}

#[inline]
pub(crate) fn get_bit(bits: &[u8], i: usize) -> bool {
    bits.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0)
}

impl Column {
    pub fn new(data_type: DataType) -> Self {
        Column::with_capacity(data_type, 0)
    }

    pub fn with_capacity(data_type: DataType, rows: usize) -> Self {
        let values = match &data_type {
            DataType::Int64 => Values::Int64(Vec::with_capacity(rows)),
            DataType::Float64 => Values::Float64(Vec::with_capacity(rows)),
            DataType::Bool => Values::Bool(Vec::with_capacity(rows.div_ceil(8))),
            DataType::Utf8 => {
                let mut offsets = Vec::with_capacity(rows + 1);
                offsets.push(0);
                Values::Utf8 { offsets, data: Vec::with_capacity(rows * 8) }
            }
            DataType::Date32 => Values::Date32(Vec::with_capacity(rows)),
            DataType::Timestamp { .. } => Values::Timestamp(Vec::with_capacity(rows)),
            DataType::Decimal128 { .. } => Values::Decimal128(Vec::with_capacity(rows)),
        };
        Column { data_type, values, validity: Vec::with_capacity(rows.div_ceil(8)), len: 0, null_count: 0 }
    }

    /// Assembles a column from Arrow buffers (the decoder's path). `validity` empty = no nulls.
    pub fn from_parts(data_type: DataType, values: Values, validity: Vec<u8>, len: usize) -> Self {
        let null_count = if validity.is_empty() { 0 } else { (0..len).filter(|&i| !get_bit(&validity, i)).count() };
        let validity = if validity.is_empty() { vec![0xff; len.div_ceil(8)] } else { validity };
        Column { data_type, values, validity, len, null_count }
    }

    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn null_count(&self) -> usize {
        self.null_count
    }
    /// The validity bitmap (bit set = valid), `ceil(len / 8)` bytes.
    pub fn validity(&self) -> &[u8] {
        &self.validity
    }
    pub fn is_null(&self, i: usize) -> bool {
        !get_bit(&self.validity, i)
    }

    #[inline]
    fn mark(&mut self, valid: bool) {
        set_bit(&mut self.validity, self.len, valid);
        self.len += 1;
        if !valid {
            self.null_count += 1;
        }
    }

    /// Appends a null (a zero or empty slot underneath).
    pub fn push_null(&mut self) {
        match &mut self.values {
            Values::Int64(v) | Values::Timestamp(v) => v.push(0),
            Values::Float64(v) => v.push(0.0),
            Values::Bool(bits) => {
                if self.len / 8 >= bits.len() {
                    bits.push(0);
                }
            }
            Values::Utf8 { offsets, data } => offsets.push(data.len() as i32),
            Values::Date32(v) => v.push(0),
            Values::Decimal128(v) => v.push(0),
        }
        self.mark(false);
    }

    fn wrong(&self, what: &str) -> ! {
        panic!("dativo-pdk: cannot push {what} onto a {:?} column", self.data_type)
    }

    pub fn push_i64(&mut self, x: i64) {
        match &mut self.values {
            Values::Int64(v) | Values::Timestamp(v) => v.push(x),
            _ => self.wrong("an i64"),
        }
        self.mark(true);
    }
    pub fn push_f64(&mut self, x: f64) {
        match &mut self.values {
            Values::Float64(v) => v.push(x),
            _ => self.wrong("an f64"),
        }
        self.mark(true);
    }
    pub fn push_bool(&mut self, x: bool) {
        let i = self.len;
        match &mut self.values {
            Values::Bool(bits) => set_bit(bits, i, x),
            _ => self.wrong("a bool"),
        }
        self.mark(true);
    }
    /// Appends UTF-8 bytes (the caller vouches they are valid UTF-8).
    #[inline]
    pub fn push_bytes(&mut self, x: &[u8]) {
        match &mut self.values {
            Values::Utf8 { offsets, data } => {
                data.extend_from_slice(x);
                offsets.push(data.len() as i32);
            }
            _ => self.wrong("a string"),
        }
        self.mark(true);
    }
    pub fn push_str(&mut self, x: &str) {
        self.push_bytes(x.as_bytes())
    }
    /// Days since 1970-01-01.
    pub fn push_date32(&mut self, days: i32) {
        match &mut self.values {
            Values::Date32(v) => v.push(days),
            _ => self.wrong("a date32"),
        }
        self.mark(true);
    }
    /// Microseconds since the epoch.
    pub fn push_timestamp(&mut self, micros: i64) {
        match &mut self.values {
            Values::Timestamp(v) => v.push(micros),
            _ => self.wrong("a timestamp"),
        }
        self.mark(true);
    }
    /// The unscaled value (123.45 in decimal(10,2) is 12345).
    pub fn push_decimal(&mut self, unscaled: i128) {
        match &mut self.values {
            Values::Decimal128(v) => v.push(unscaled),
            _ => self.wrong("a decimal"),
        }
        self.mark(true);
    }

    // ---- reading ----

    pub fn i64(&self, i: usize) -> Option<i64> {
        match &self.values {
            Values::Int64(v) | Values::Timestamp(v) if !self.is_null(i) => v.get(i).copied(),
            _ => None,
        }
    }
    pub fn f64(&self, i: usize) -> Option<f64> {
        match &self.values {
            Values::Float64(v) if !self.is_null(i) => v.get(i).copied(),
            _ => None,
        }
    }
    pub fn bool(&self, i: usize) -> Option<bool> {
        match &self.values {
            Values::Bool(bits) if !self.is_null(i) && i < self.len => Some(get_bit(bits, i)),
            _ => None,
        }
    }
    pub fn bytes(&self, i: usize) -> Option<&[u8]> {
        match &self.values {
            Values::Utf8 { offsets, data } if !self.is_null(i) && i < self.len => {
                data.get(offsets[i] as usize..offsets[i + 1] as usize)
            }
            _ => None,
        }
    }
    pub fn str(&self, i: usize) -> Option<&str> {
        self.bytes(i).and_then(|b| std::str::from_utf8(b).ok())
    }
    pub fn date32(&self, i: usize) -> Option<i32> {
        match &self.values {
            Values::Date32(v) if !self.is_null(i) => v.get(i).copied(),
            _ => None,
        }
    }
    pub fn timestamp(&self, i: usize) -> Option<i64> {
        match &self.values {
            Values::Timestamp(v) if !self.is_null(i) => v.get(i).copied(),
            _ => None,
        }
    }
    pub fn decimal(&self, i: usize) -> Option<i128> {
        match &self.values {
            Values::Decimal128(v) if !self.is_null(i) => v.get(i).copied(),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RecordBatch {
    pub fields: Vec<Field>,
    pub columns: Vec<Column>,
}

impl RecordBatch {
    /// Checks that there is one column per field, of the field's type, all of one length.
    pub fn new(fields: Vec<Field>, columns: Vec<Column>) -> crate::Result<Self> {
        if fields.len() != columns.len() {
            return Err(crate::Error::bad_input(format!("{} fields but {} columns", fields.len(), columns.len())));
        }
        let rows = columns.first().map_or(0, |c| c.len());
        for (f, c) in fields.iter().zip(&columns) {
            if f.data_type != c.data_type {
                return Err(crate::Error::bad_input(format!("column {} is {:?}, its field says {:?}", f.name, c.data_type, f.data_type)));
            }
            if c.len() != rows {
                return Err(crate::Error::bad_input(format!("column {} has {} rows, the first has {rows}", f.name, c.len())));
            }
        }
        Ok(RecordBatch { fields, columns })
    }
    pub fn num_rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.len())
    }
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.fields.iter().position(|f| f.name == name).map(|i| &self.columns[i])
    }
}
