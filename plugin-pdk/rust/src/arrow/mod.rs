//! Arrow record batches and the IPC stream format, for the contract's types, without crates.

mod array;
mod flatbuf;
mod ipc_read;
mod ipc_write;

pub use array::{Column, DataType, Field, RecordBatch, Values};
pub use ipc_read::decode;
pub use ipc_write::encode;
