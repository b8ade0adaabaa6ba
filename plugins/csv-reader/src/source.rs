//! Where the CSV bytes come from: a granted input file (the host's read-only file capability,
//! `host::input_read`, straight into linear memory), or, when `url` is set, HTTP `Range` requests
//! to a granted `host:port` (a server without range support answers 200 with the whole file,
//! which works too, up to the grant's `max_response_mb`).

use dativo_pdk::host::{self, http_request, HttpRequest};
use dativo_pdk::paginate::check_status;
use dativo_pdk::{Error, Result};

pub enum Input {
    File { name: String, offset: u64 },
    Http { url: String, offset: u64, total: Option<u64> },
}

pub struct ChunkReader {
    input: Input,
    chunk: u64,
    pub eof: bool,
}

impl ChunkReader {
    pub fn file(name: String, chunk: u64) -> Self {
        ChunkReader { input: Input::File { name, offset: 0 }, chunk: chunk.clamp(4096, host::MAX_INPUT_READ as u64), eof: false }
    }

    /// A reader that is already at its end (before the first file is opened).
    pub fn done() -> Self {
        ChunkReader { input: Input::File { name: String::new(), offset: 0 }, chunk: 4096, eof: true }
    }

    pub fn http(url: String, chunk: u64) -> Self {
        ChunkReader { input: Input::Http { url, offset: 0, total: None }, chunk: chunk.max(4096), eof: false }
    }

    /// Appends the next chunk to `buf`; sets `eof` after the last one.
    pub fn fill(&mut self, buf: &mut Vec<u8>) -> Result<()> {
        if self.eof {
            return Ok(());
        }
        let chunk = self.chunk;
        match &mut self.input {
            Input::File { name, offset } => {
                let n = host::input_read_append(name, *offset, buf, chunk as usize)? as u64;
                *offset += n;
                self.eof = n == 0;
            }
            Input::Http { url, offset, total } => {
                let end = *offset + chunk - 1;
                let req = HttpRequest::get(url.clone()).header("Range", format!("bytes={}-{end}", offset));
                let resp = http_request(&req, None)?;
                match resp.status {
                    206 => {
                        // Content-Range: bytes a-b/total
                        if let Some(t) = resp.header("content-range").and_then(|v| v.rsplit('/').next()).and_then(|t| t.trim().parse().ok()) {
                            *total = Some(t);
                        }
                        let n = resp.body.len() as u64;
                        buf.extend_from_slice(&resp.body);
                        *offset += n;
                        self.eof = n == 0 || n < chunk || total.is_some_and(|t| *offset >= t);
                    }
                    200 => {
                        // No range support: the body is the whole file.
                        let skip = (*offset as usize).min(resp.body.len());
                        buf.extend_from_slice(&resp.body[skip..]);
                        *offset = resp.body.len() as u64;
                        self.eof = true;
                    }
                    416 => self.eof = true,
                    _ => {
                        check_status(&req, &resp)?;
                        return Err(Error::new("HTTP_ERROR", format!("GET {} answered {}", url, resp.status)));
                    }
                }
            }
        }
        Ok(())
    }
}
