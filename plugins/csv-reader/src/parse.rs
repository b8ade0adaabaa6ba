//! The record splitter: quoted fields (RFC 4180, `""` inside quotes), LF / CRLF / CR line ends,
//! delimiters and quotes from the config. It only finds field boundaries; `lib.rs` turns them
//! into column values the way the native CSV source does.

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Raw bytes `[s, e)`.
    Plain,
    /// `"…"` without doubled quotes: the value is `[s + 1, e - 1)`.
    Quoted,
    /// Quoted with doubled quotes (or text after the closing quote): needs unescaping.
    Escaped,
}

pub struct Splitter {
    pub delim: u8,
    pub quote: Option<u8>,
    /// Byte classes: 1 for delimiter, CR, LF (end of a plain field).
    stop: [bool; 256],
    /// The delimiter repeated in every byte of a word (for the 8-bytes-at-a-time scan).
    delim_x8: u64,
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;
const LF_X8: u64 = LO * b'\n' as u64;
const CR_X8: u64 = LO * b'\r' as u64;

/// A word whose high bit is set in each byte of `x` that is zero (exact for the first zero byte).
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(LO) & !x & HI
}

pub enum Record {
    /// A record ends at this offset; its fields are in `fields`.
    Done(usize),
    /// The buffer ends inside the record: more bytes are needed.
    NeedMore,
}

impl Splitter {
    pub fn new(delim: u8, quote: Option<u8>) -> Self {
        let mut stop = [false; 256];
        stop[delim as usize] = true;
        stop[b'\n' as usize] = true;
        stop[b'\r' as usize] = true;
        Splitter { delim, quote, stop, delim_x8: LO * delim as u64 }
    }

    /// The first index ≥ `i` holding the delimiter, CR or LF (or `b.len()`): eight bytes at a
    /// time, since most of a CSV file is plain field bytes.
    #[inline(always)]
    fn plain_end(&self, b: &[u8], mut i: usize) -> usize {
        let n = b.len();
        while i + 8 <= n {
            let w = u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
            let hit = zero_bytes(w ^ self.delim_x8) | zero_bytes(w ^ LF_X8) | zero_bytes(w ^ CR_X8);
            if hit != 0 {
                return i + (hit.trailing_zeros() / 8) as usize;
            }
            i += 8;
        }
        while i < n && !self.stop[b[i] as usize] {
            i += 1;
        }
        i
    }

    /// Splits the record starting at `i` into `fields` (start, end, kind).
    pub fn record(&self, b: &[u8], mut i: usize, eof: bool, fields: &mut Vec<(usize, usize, Kind)>) -> Record {
        fields.clear();
        let n = b.len();
        loop {
            if i >= n {
                if !eof {
                    return Record::NeedMore;
                }
                fields.push((n, n, Kind::Plain)); // a trailing delimiter: one more empty field
                return Record::Done(n);
            }
            let s = i;
            if Some(b[i]) == self.quote {
                let q = b[i];
                let mut kind = Kind::Quoted;
                i += 1;
                loop {
                    match b[i..].iter().position(|&c| c == q) {
                        None => {
                            if !eof {
                                return Record::NeedMore;
                            }
                            // Unterminated quote at the end of the input: take the rest.
                            i = n;
                            kind = Kind::Escaped;
                            break;
                        }
                        Some(k) => i += k,
                    }
                    if i + 1 >= n && !eof {
                        return Record::NeedMore; // is it "" or the closing quote?
                    }
                    if i + 1 < n && b[i + 1] == q {
                        kind = Kind::Escaped;
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                // Text after the closing quote belongs to the field (like the native parser).
                if i < n && !self.stop[b[i] as usize] {
                    kind = Kind::Escaped;
                    while i < n && !self.stop[b[i] as usize] {
                        i += 1;
                    }
                }
                fields.push((s, i, kind));
            } else {
                i = self.plain_end(b, i);
                fields.push((s, i, Kind::Plain));
            }
            if i >= n {
                if !eof {
                    return Record::NeedMore;
                }
                return Record::Done(n);
            }
            let c = b[i];
            if c == self.delim {
                i += 1;
                continue;
            }
            if c == b'\r' {
                if i + 1 >= n && !eof {
                    return Record::NeedMore; // CR or CRLF?
                }
                i += 1;
                if i < n && b[i] == b'\n' {
                    i += 1;
                }
            } else {
                i += 1; // LF
            }
            return Record::Done(i);
        }
    }

    /// The value of an `Escaped` field: quotes removed, `""` → `"`.
    pub fn unescape(&self, raw: &[u8], out: &mut Vec<u8>) {
        out.clear();
        let Some(q) = self.quote else {
            out.extend_from_slice(raw);
            return;
        };
        let mut i = 0;
        let mut inside = false;
        while i < raw.len() {
            let c = raw[i];
            if c == q {
                if inside && raw.get(i + 1) == Some(&q) {
                    out.push(q);
                    i += 2;
                    continue;
                }
                inside = !inside;
            } else {
                out.push(c);
            }
            i += 1;
        }
    }
}
