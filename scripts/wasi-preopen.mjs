// jco and componentize-js run wasm-tools as WASI guests through @bytecodealliance/preview2-shim,
// which since 0.26 opens no directory by default ("failed to read path ... os error 44"). This
// preload gives those build tools (never a plugin) the file system, as before 0.26.
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';

_setPreopens({ '/': '/' });
