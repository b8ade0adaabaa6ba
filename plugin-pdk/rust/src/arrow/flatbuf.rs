//! Just enough FlatBuffers for Arrow's IPC metadata (Message, Schema, RecordBatch), by hand: the
//! flatbuffers and arrow crates are not available offline.
//!
//! Writer: objects are described as a small tree and laid out front to back: a table's vtable
//! comes right before it (soffset is signed), children after it (uoffsets point forward), so
//! one pass with back-patching is enough. Every field is written, defaults included (Arrow's
//! `Date.unit` defaults to MILLISECOND, so an omitted DAY would be misread).
//! Reader: bounds-checked accessors over a byte slice.

pub enum Slot {
    U8(u8),
    Bool(bool),
    I16(i16),
    I32(i32),
    I64(i64),
    Off(Obj),
}

pub enum Obj {
    /// Fields by id.
    Table(Vec<(u16, Slot)>),
    Str(String),
    Tables(Vec<Obj>),
    /// A vector of 16-byte structs (Arrow's FieldNode and Buffer), given as i64 pairs.
    Pairs(Vec<(i64, i64)>),
}

fn size_of(s: &Slot) -> usize {
    match s {
        Slot::U8(_) | Slot::Bool(_) => 1,
        Slot::I16(_) => 2,
        Slot::I32(_) | Slot::Off(_) => 4,
        Slot::I64(_) => 8,
    }
}

fn pad_to(buf: &mut Vec<u8>, align: usize) {
    while buf.len() % align != 0 {
        buf.push(0);
    }
}

fn put_u32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Serialises `root` as a finished flatbuffer (root uoffset first). `buf` must start 8-aligned.
pub fn finish(root: Obj) -> Vec<u8> {
    let mut buf = vec![0u8; 8]; // root offset + padding, so 8-byte fields stay aligned
    let pos = write(&mut buf, root);
    put_u32(&mut buf, 0, pos as u32);
    pad_to(&mut buf, 8);
    buf
}

fn write(buf: &mut Vec<u8>, obj: Obj) -> usize {
    match obj {
        Obj::Str(s) => {
            pad_to(buf, 4);
            let pos = buf.len();
            buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
            buf.extend_from_slice(s.as_bytes());
            buf.push(0);
            pos
        }
        Obj::Pairs(items) => {
            // The struct data must be 8-aligned: the length prefix sits 4 bytes before it.
            pad_to(buf, 4);
            if buf.len() % 8 == 0 {
                buf.extend_from_slice(&[0; 4]);
            }
            let pos = buf.len();
            buf.extend_from_slice(&(items.len() as u32).to_le_bytes());
            for (a, b) in items {
                buf.extend_from_slice(&a.to_le_bytes());
                buf.extend_from_slice(&b.to_le_bytes());
            }
            pos
        }
        Obj::Tables(items) => {
            pad_to(buf, 4);
            let pos = buf.len();
            buf.extend_from_slice(&(items.len() as u32).to_le_bytes());
            let slots = buf.len();
            buf.resize(slots + 4 * items.len(), 0);
            for (i, item) in items.into_iter().enumerate() {
                let at = slots + 4 * i;
                let child = write(buf, item);
                put_u32(buf, at, (child - at) as u32);
            }
            pos
        }
        Obj::Table(fields) => write_table(buf, fields),
    }
}

fn write_table(buf: &mut Vec<u8>, fields: Vec<(u16, Slot)>) -> usize {
    let max_id = fields.iter().map(|(id, _)| *id as usize + 1).max().unwrap_or(0);
    let vt_size = 4 + 2 * max_id;
    pad_to(buf, 2);
    let vt_pos = buf.len();
    // Where the table will start, then each field's absolute position (naturally aligned).
    let mut table_pos = vt_pos + vt_size;
    table_pos += (4 - table_pos % 4) % 4;
    let mut at = table_pos + 4;
    let mut placed = Vec::with_capacity(fields.len());
    for (id, slot) in &fields {
        let size = size_of(slot);
        at += (size - at % size) % size;
        placed.push((*id, at));
        at += size;
    }
    let table_end = at;
    // vtable: its size, the table's size, then each field's offset from the table start.
    let mut vt = vec![0u8; vt_size];
    vt[0..2].copy_from_slice(&(vt_size as u16).to_le_bytes());
    vt[2..4].copy_from_slice(&((table_end - table_pos) as u16).to_le_bytes());
    for (id, pos) in &placed {
        let k = 4 + 2 * *id as usize;
        vt[k..k + 2].copy_from_slice(&((pos - table_pos) as u16).to_le_bytes());
    }
    buf.extend_from_slice(&vt);
    buf.resize(table_end, 0);
    buf[table_pos..table_pos + 4].copy_from_slice(&((table_pos - vt_pos) as i32).to_le_bytes());
    let mut children = Vec::new();
    for ((_, slot), (_, pos)) in fields.into_iter().zip(placed) {
        match slot {
            Slot::U8(v) => buf[pos] = v,
            Slot::Bool(v) => buf[pos] = v as u8,
            Slot::I16(v) => buf[pos..pos + 2].copy_from_slice(&v.to_le_bytes()),
            Slot::I32(v) => buf[pos..pos + 4].copy_from_slice(&v.to_le_bytes()),
            Slot::I64(v) => buf[pos..pos + 8].copy_from_slice(&v.to_le_bytes()),
            Slot::Off(obj) => children.push((pos, obj)),
        }
    }
    for (pos, obj) in children {
        let child = write(buf, obj);
        put_u32(buf, pos, (child - pos) as u32);
    }
    table_pos
}

// ---- reading ----

#[derive(Clone, Copy)]
pub struct Fb<'a> {
    pub b: &'a [u8],
}

pub type R<T> = Result<T, &'static str>;

impl<'a> Fb<'a> {
    fn get<const N: usize>(&self, p: usize) -> R<[u8; N]> {
        self.b.get(p..p + N).and_then(|s| s.try_into().ok()).ok_or("flatbuffer offset out of range")
    }
    pub fn u8(&self, p: usize) -> R<u8> {
        Ok(self.get::<1>(p)?[0])
    }
    pub fn u16(&self, p: usize) -> R<u16> {
        Ok(u16::from_le_bytes(self.get(p)?))
    }
    pub fn i16(&self, p: usize) -> R<i16> {
        Ok(i16::from_le_bytes(self.get(p)?))
    }
    pub fn i32(&self, p: usize) -> R<i32> {
        Ok(i32::from_le_bytes(self.get(p)?))
    }
    pub fn u32(&self, p: usize) -> R<u32> {
        Ok(u32::from_le_bytes(self.get(p)?))
    }
    pub fn i64(&self, p: usize) -> R<i64> {
        Ok(i64::from_le_bytes(self.get(p)?))
    }
    /// The root table's position.
    pub fn root(&self) -> R<usize> {
        self.deref(0)
    }
    /// Follows a uoffset stored at `p`.
    pub fn deref(&self, p: usize) -> R<usize> {
        let t = p.checked_add(self.u32(p)? as usize).ok_or("flatbuffer offset overflow")?;
        if t >= self.b.len() {
            return Err("flatbuffer offset out of range");
        }
        Ok(t)
    }
    /// Position of field `id` of the table at `t`, or `None` when absent.
    pub fn field(&self, t: usize, id: usize) -> R<Option<usize>> {
        let vt = (t as i64 - self.i32(t)? as i64) as usize;
        let vt_size = self.u16(vt)? as usize;
        let at = 4 + id * 2;
        if at + 2 > vt_size {
            return Ok(None);
        }
        let off = self.u16(vt + at)? as usize;
        Ok((off != 0).then_some(t + off))
    }
    /// Field `id` of table `t` as a child table / vector / string position.
    pub fn child(&self, t: usize, id: usize) -> R<Option<usize>> {
        match self.field(t, id)? {
            Some(p) => Ok(Some(self.deref(p)?)),
            None => Ok(None),
        }
    }
    pub fn str(&self, p: usize) -> R<&'a str> {
        let n = self.u32(p)? as usize;
        let s = self.b.get(p + 4..p + 4 + n).ok_or("string out of range")?;
        std::str::from_utf8(s).map_err(|_| "string is not UTF-8")
    }
    /// Element positions of a vector of tables.
    pub fn tables(&self, p: usize) -> R<Vec<usize>> {
        let n = self.u32(p)? as usize;
        if n > 100_000 {
            return Err("implausible vector length");
        }
        (0..n).map(|i| self.deref(p + 4 + 4 * i)).collect()
    }
    /// A vector of (i64, i64) structs.
    pub fn pairs(&self, p: usize) -> R<Vec<(i64, i64)>> {
        let n = self.u32(p)? as usize;
        if n > 1_000_000 {
            return Err("implausible vector length");
        }
        (0..n).map(|i| Ok((self.i64(p + 4 + 16 * i)?, self.i64(p + 12 + 16 * i)?))).collect()
    }
}
