//! # dativo-pdk
//!
//! The Rust plugin development kit for Dativo readers and writers (WIT package
//! `dativo:plugin@1.0.0`, flattened to the Extism ABI described in `wit/README.md`).
//!
//! ```ignore
//! use dativo_pdk::{arrow::*, export::*, host, Result};
//! struct Numbers { left: u32 }
//! impl Reader for Numbers {
//!     fn open(_: OpenParams) -> Result<Self> { Ok(Numbers { left: 3 }) }
//!     fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
//!         if self.left == 0 { return Ok(None) }
//!         self.left -= 1;
//!         let mut id = Column::new(DataType::Int64);
//!         id.push_i64(1);
//!         Ok(Some(RecordBatch::new(vec![Field::new("id", DataType::Int64, false)], vec![id])?))
//!     }
//! }
//! dativo_pdk::reader!(Numbers);
//! ```
//!
//! No external crates: the Arrow IPC encoder/decoder and the JSON parser are in here. Every
//! module built with this crate carries the `dativo_abi` custom section the host checks
//! before it instantiates anything.

pub mod abi;
pub mod arrow;
pub mod error;
pub mod export;
pub mod host;
pub mod json;
pub mod paginate;

pub use error::{Error, Result};
pub use export::{CheckResult, OpenParams, Reader, Writer};

/// The ABI version this PDK speaks (`wit/dativo-plugin.wit` major.minor).
pub const ABI_VERSION: &str = "1.0";

/// The custom section the host reads before instantiation (wit/README.md). Defined here, once,
/// so every plugin linked against the PDK carries it; a plugin must not define its own.
#[cfg(target_arch = "wasm32")]
#[used]
#[link_section = "dativo_abi"]
pub static DATIVO_ABI: [u8; 3] = *b"1.0";
