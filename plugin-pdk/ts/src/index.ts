/**
 * The Dativo TypeScript PDK: write a reader or writer plugin in TypeScript, build it into a
 * WebAssembly component with `dativo plugin build` (docs/typescript-plugins.md).
 */
export { bool, type Column, float64, int32, int64, ipcBatch, rowsOf, timestampMs, utf8 } from './arrow.js';
export { type ErrorRecord, PluginError } from './errors.js';
export {
  config,
  type HttpRequest,
  type HttpResponse,
  inputs,
  log,
  request,
  secret,
  state,
  writeOutput,
} from './host.js';
export {
  type CheckResult,
  type DiscoverResult,
  type OpenParams,
  type Reader,
  reader,
  type Writer,
  writer,
} from './plugin.js';
