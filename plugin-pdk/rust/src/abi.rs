//! The raw imports of the Dativo Extism ABI (wit/README.md): the Extism kernel the host keeps
//! (`extism:host/env`) and the `dativo` host functions. Handles are kernel handles (i64); bulk
//! bytes move between linear memory and the host by pointer and length (i32). Everything here is
//! `unsafe`; `crate::host` is the safe surface.

pub type Handle = u64;

#[link(wasm_import_module = "extism:host/env")]
extern "C" {
    pub fn length(h: Handle) -> u64;
    pub fn free(h: Handle);
    pub fn input_offset() -> Handle;
    pub fn input_length() -> u64;
    pub fn output_set(h: Handle, len: u64);
    pub fn error_set(h: Handle);
}

#[link(wasm_import_module = "dativo")]
extern "C" {
    pub fn bulk_load(h: Handle, ptr: *mut u8) -> i64;
    pub fn bulk_store(ptr: *const u8, len: u32) -> Handle;
    pub fn config() -> Handle;
    pub fn secret_get(name: Handle) -> Handle;
    pub fn log(level: i32, msg: Handle);
    pub fn state_get(key: Handle) -> Handle;
    pub fn state_set(key: Handle, value: Handle) -> i32;
    pub fn http_request(req: Handle, body: Handle) -> Handle;
    pub fn http_status() -> i32;
    pub fn http_headers() -> Handle;
    pub fn output_write(name: Handle, ptr: *const u8, len: u32) -> i32;
    pub fn last_error() -> Handle;
    /// JSON `[{"name","size"}]` of the granted input files.
    pub fn input_list() -> Handle;
    /// Reads up to `len` bytes of input file `name` at `offset` into linear memory at `ptr`;
    /// bytes read (0 = end of file) or -1 with `last_error`.
    pub fn input_read(name: Handle, offset: u64, ptr: *mut u8, len: u32) -> i64;
    /// Sets this call's output straight from linear memory (one copy, made by the host; no
    /// kernel block). Wins over `output_set` in the same call.
    pub fn output_bytes(ptr: *const u8, len: u32) -> i32;
}
