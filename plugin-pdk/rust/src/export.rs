//! The plugin side of the WIT worlds: implement [`Reader`] or [`Writer`] and name the type in
//! [`reader!`](crate::reader) / [`writer!`](crate::writer), which export `open`, `next_batch`,
//! `check`, `discover`, `close` (reader) or `open`, `write_batch`, `commit`, `abort` (writer)
//! with the Extism calling convention: input through `input_*`, output through `output_set`,
//! an `Err` through `error_set` as the contract's error record (never a trap).

use crate::arrow::{self, RecordBatch};
use crate::error::{Error, Result};
use crate::host;
use crate::json::{self, Value};
use std::any::Any;
use std::cell::RefCell;

/// `open`'s parameters (`types.open-params`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenParams {
    /// Rows per batch the pipeline would like (a hint; 0 = no preference).
    pub batch_size: u32,
    /// The stream (object/table) the job names, if any.
    pub stream: Option<String>,
}

impl OpenParams {
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        if bytes.is_empty() {
            return Ok(OpenParams::default());
        }
        let v = json::parse_bytes(bytes)?;
        Ok(OpenParams {
            batch_size: v.at("batch_size").as_i64().unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
            stream: v.at("stream").as_str().map(str::to_string),
        })
    }
}

/// `types.check-result`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    /// `success`, `failed` or `skipped`.
    pub status: String,
    pub message: String,
}

impl CheckResult {
    pub fn success(message: impl Into<String>) -> Self {
        CheckResult { status: "success".into(), message: message.into() }
    }
    pub fn failed(message: impl Into<String>) -> Self {
        CheckResult { status: "failed".into(), message: message.into() }
    }
    pub fn skipped(message: impl Into<String>) -> Self {
        CheckResult { status: "skipped".into(), message: message.into() }
    }
    pub fn to_json(&self) -> String {
        json::object([("status", Value::from(self.status.as_str())), ("message", Value::from(self.message.as_str()))]).to_string()
    }
}

/// A reader (WIT world `reader`). One instance lives from `open` to `close`.
pub trait Reader: Sized + 'static {
    fn open(params: OpenParams) -> Result<Self>;
    /// The next batch, or `None` at the end of the data.
    fn next_batch(&mut self) -> Result<Option<RecordBatch>>;
    /// Override to hand the host IPC bytes you encoded yourself.
    fn next_batch_ipc(&mut self) -> Result<Option<Vec<u8>>> {
        Ok(self.next_batch()?.map(|b| arrow::encode(&b)))
    }
    /// Runs without `open` (on an instance of its own).
    fn check() -> Result<CheckResult> {
        Ok(CheckResult::skipped("this plugin has no check"))
    }
    /// `{"objects": [{"name", "type", …}], "metadata": {…}}`; runs without `open`.
    fn discover() -> Result<Value> {
        Ok(json::object([("objects", Value::Array(vec![])), ("metadata", Value::Object(vec![]))]))
    }
    fn close(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A writer (WIT world `writer`): batches in, named outputs out through `host::output_write`.
pub trait Writer: Sized + 'static {
    fn open(params: OpenParams) -> Result<Self>;
    fn write_batch(&mut self, batch: RecordBatch) -> Result<()>;
    /// Override to work on the IPC bytes directly.
    fn write_batch_ipc(&mut self, ipc: &[u8]) -> Result<()> {
        self.write_batch(arrow::decode(ipc)?)
    }
    /// A JSON summary the host records with the commit, e.g. `{"rows": 3000}`.
    fn commit(&mut self) -> Result<Value>;
    fn abort(&mut self, _reason: &str) -> Result<()> {
        Ok(())
    }
}

thread_local! {
    // wasm32 has one thread: this is the instance between calls.
    static INSTANCE: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // panic=abort traps right after the hook; the log line says why.
        std::panic::set_hook(Box::new(|info| host::log_error(&format!("plugin panicked: {info}"))));
    });
}

/// Runs an export body: `Err` becomes `error_set` with the error record.
pub fn run(body: impl FnOnce() -> Result<()>) -> i32 {
    install_panic_hook();
    match body() {
        Ok(()) => 0,
        Err(e) => {
            host::set_error(&e);
            1
        }
    }
}

fn with<T: 'static, R>(call: &str, f: impl FnOnce(&mut T) -> Result<R>) -> Result<R> {
    INSTANCE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let inst = slot
            .as_mut()
            .and_then(|b| b.downcast_mut::<T>())
            .ok_or_else(|| Error::new("NOT_OPEN", format!("{call} was called before open")))?;
        f(inst)
    })
}

fn set_instance<T: 'static>(t: T) {
    INSTANCE.with(|cell| *cell.borrow_mut() = Some(Box::new(t)));
}

fn take_instance() -> Option<Box<dyn Any>> {
    INSTANCE.with(|cell| cell.borrow_mut().take())
}

// ---- what the macros call ----

pub fn reader_open<R: Reader>() -> i32 {
    run(|| {
        let params = OpenParams::from_json(&host::input())?;
        set_instance(R::open(params)?);
        Ok(())
    })
}
pub fn reader_next_batch<R: Reader>() -> i32 {
    run(|| {
        if let Some(bytes) = with::<R, _>("next_batch", |r| r.next_batch_ipc())? {
            host::output(&bytes);
        }
        Ok(())
    })
}
pub fn reader_check<R: Reader>() -> i32 {
    run(|| {
        host::output(R::check()?.to_json().as_bytes());
        Ok(())
    })
}
pub fn reader_discover<R: Reader>() -> i32 {
    run(|| {
        host::output(R::discover()?.to_string().as_bytes());
        Ok(())
    })
}
pub fn reader_close<R: Reader>() -> i32 {
    run(|| match take_instance() {
        Some(b) => match b.downcast::<R>() {
            Ok(mut r) => r.close(),
            Err(_) => Ok(()),
        },
        None => Ok(()),
    })
}

pub fn writer_open<W: Writer>() -> i32 {
    run(|| {
        let params = OpenParams::from_json(&host::input())?;
        set_instance(W::open(params)?);
        Ok(())
    })
}
pub fn writer_write_batch<W: Writer>() -> i32 {
    run(|| {
        let input = host::input();
        with::<W, _>("write_batch", |w| w.write_batch_ipc(&input))
    })
}
pub fn writer_commit<W: Writer>() -> i32 {
    run(|| {
        let summary = with::<W, _>("commit", |w| w.commit())?;
        host::output(summary.to_string().as_bytes());
        Ok(())
    })
}
pub fn writer_abort<W: Writer>() -> i32 {
    run(|| {
        let reason = String::from_utf8_lossy(&host::input()).into_owned();
        match take_instance() {
            Some(b) => match b.downcast::<W>() {
                Ok(mut w) => w.abort(&reason),
                Err(_) => Ok(()),
            },
            None => Ok(()),
        }
    })
}

/// Exports a [`Reader`] implementation: `dativo_pdk::reader!(MyReader);`
#[macro_export]
macro_rules! reader {
    ($t:ty) => {
        #[export_name = "open"]
        pub extern "C" fn __dativo_reader_open() -> i32 {
            $crate::export::reader_open::<$t>()
        }
        #[export_name = "next_batch"]
        pub extern "C" fn __dativo_reader_next_batch() -> i32 {
            $crate::export::reader_next_batch::<$t>()
        }
        #[export_name = "check"]
        pub extern "C" fn __dativo_reader_check() -> i32 {
            $crate::export::reader_check::<$t>()
        }
        #[export_name = "discover"]
        pub extern "C" fn __dativo_reader_discover() -> i32 {
            $crate::export::reader_discover::<$t>()
        }
        #[export_name = "close"]
        pub extern "C" fn __dativo_reader_close() -> i32 {
            $crate::export::reader_close::<$t>()
        }
    };
}

/// Exports a [`Writer`] implementation: `dativo_pdk::writer!(MyWriter);`
#[macro_export]
macro_rules! writer {
    ($t:ty) => {
        #[export_name = "open"]
        pub extern "C" fn __dativo_writer_open() -> i32 {
            $crate::export::writer_open::<$t>()
        }
        #[export_name = "write_batch"]
        pub extern "C" fn __dativo_writer_write_batch() -> i32 {
            $crate::export::writer_write_batch::<$t>()
        }
        #[export_name = "commit"]
        pub extern "C" fn __dativo_writer_commit() -> i32 {
            $crate::export::writer_commit::<$t>()
        }
        #[export_name = "abort"]
        pub extern "C" fn __dativo_writer_abort() -> i32 {
            $crate::export::writer_abort::<$t>()
        }
    };
}
