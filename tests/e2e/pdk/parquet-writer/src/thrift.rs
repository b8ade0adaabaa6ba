//! Just enough of Thrift's compact protocol to write a Parquet footer and page headers: structs,
//! lists of structs or strings, i32/i64, binary and bool fields.

pub const I32: u8 = 5;
pub const I64: u8 = 6;
pub const BINARY: u8 = 8;
pub const LIST: u8 = 9;
pub const STRUCT: u8 = 12;

#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
    /// The last field id written at each open struct level (field headers are delta-encoded).
    last: Vec<i16>,
}

impl Writer {
    pub fn new() -> Self {
        Writer { buf: Vec::new(), last: vec![0] }
    }

    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    fn zigzag(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn field(&mut self, id: i16, ty: u8) {
        let last = self.last.last_mut().expect("inside a struct");
        let delta = id - *last;
        *last = id;
        if delta > 0 && delta <= 15 {
            self.buf.push(((delta as u8) << 4) | ty);
        } else {
            self.buf.push(ty);
            self.zigzag(i64::from(id));
        }
    }

    pub fn i32(&mut self, id: i16, v: i32) {
        self.field(id, I32);
        self.zigzag(i64::from(v));
    }

    pub fn i64(&mut self, id: i16, v: i64) {
        self.field(id, I64);
        self.zigzag(v);
    }

    pub fn binary(&mut self, id: i16, v: &[u8]) {
        self.field(id, BINARY);
        self.varint(v.len() as u64);
        self.buf.extend_from_slice(v);
    }

    pub fn bool(&mut self, id: i16, v: bool) {
        self.field(id, if v { 1 } else { 2 });
    }

    /// A struct-typed field: close it with `end`.
    pub fn begin(&mut self, id: i16) {
        self.field(id, STRUCT);
        self.last.push(0);
    }

    pub fn end(&mut self) {
        self.buf.push(0);
        self.last.pop();
    }

    pub fn list(&mut self, id: i16, elem: u8, n: usize) {
        self.field(id, LIST);
        if n < 15 {
            self.buf.push(((n as u8) << 4) | elem);
        } else {
            self.buf.push(0xF0 | elem);
            self.varint(n as u64);
        }
    }

    /// One struct element of a list: close it with `end`.
    pub fn element(&mut self) {
        self.last.push(0);
    }

    /// One i32 element of a list.
    pub fn element_i32(&mut self, v: i32) {
        self.zigzag(i64::from(v));
    }

    /// One binary element of a list.
    pub fn element_binary(&mut self, v: &[u8]) {
        self.varint(v.len() as u64);
        self.buf.extend_from_slice(v);
    }
}
