//! A utf8 column builder for the hot loop: offsets and bytes only, nulls as a (usually empty)
//! list of rows turned into a validity bitmap at the end, and short values copied with a few word
//! moves instead of a `memory.copy` call. Most CSV fields are a handful of bytes, so the per-field
//! cost, not the byte count, decides the speed.

use dativo_pdk::arrow::{Column, DataType, Values};

pub struct Utf8Builder {
    offsets: Vec<i32>,
    data: Vec<u8>,
    nulls: Vec<u32>,
}

impl Utf8Builder {
    pub fn new(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Utf8Builder { offsets, data: Vec::with_capacity(bytes.max(rows * 8)), nulls: Vec::new() }
    }

    #[inline(always)]
    pub fn push(&mut self, v: &[u8]) {
        let n = v.len();
        self.data.reserve(n);
        let len = self.data.len();
        // SAFETY: `n` bytes of spare capacity were reserved; every read stays inside `v`.
        unsafe {
            let dst = self.data.as_mut_ptr().add(len);
            let src = v.as_ptr();
            if n >= 8 && n <= 16 {
                // Two overlapping 8-byte moves cover 8..=16 bytes.
                let a = (src as *const u64).read_unaligned();
                let b = (src.add(n - 8) as *const u64).read_unaligned();
                (dst as *mut u64).write_unaligned(a);
                (dst.add(n - 8) as *mut u64).write_unaligned(b);
            } else if n >= 4 && n < 8 {
                let a = (src as *const u32).read_unaligned();
                let b = (src.add(n - 4) as *const u32).read_unaligned();
                (dst as *mut u32).write_unaligned(a);
                (dst.add(n - 4) as *mut u32).write_unaligned(b);
            } else if n < 4 {
                for i in 0..n {
                    *dst.add(i) = *src.add(i);
                }
            } else {
                std::ptr::copy_nonoverlapping(src, dst, n);
            }
            self.data.set_len(len + n);
        }
        self.offsets.push((len + n) as i32);
    }

    #[inline]
    pub fn push_null(&mut self) {
        self.nulls.push((self.offsets.len() - 1) as u32);
        self.offsets.push(self.data.len() as i32);
    }

    pub fn bytes(&self) -> usize {
        self.data.len()
    }

    /// The Arrow column; invalid UTF-8 (rare) is replaced so the batch is valid utf8.
    pub fn finish(self) -> Column {
        let len = self.offsets.len() - 1;
        let validity = if self.nulls.is_empty() {
            Vec::new()
        } else {
            let mut bits = vec![0xffu8; len.div_ceil(8)];
            for &r in &self.nulls {
                bits[r as usize / 8] &= !(1 << (r % 8));
            }
            bits
        };
        if std::str::from_utf8(&self.data).is_ok() {
            return Column::from_parts(DataType::Utf8, Values::Utf8 { offsets: self.offsets, data: self.data }, validity, len);
        }
        let mut out = Column::with_capacity(DataType::Utf8, len);
        let mut nulls = self.nulls.iter().peekable();
        for i in 0..len {
            if nulls.peek() == Some(&&(i as u32)) {
                nulls.next();
                out.push_null();
            } else {
                let v = &self.data[self.offsets[i] as usize..self.offsets[i + 1] as usize];
                out.push_str(&String::from_utf8_lossy(v));
            }
        }
        out
    }
}
