/**
 * The Dativo TypeScript PDK: write a reader or writer plugin in TypeScript, build it into a
 * WebAssembly component with `dativo plugin build` (docs/typescript-plugins.md).
 */
import { request, state } from './host.js';
import { installHost } from './send.js';

// The HTTP helpers send through the host and keep state there unless given others.
installHost(request, state);

export {
  bool,
  type Column,
  type ColumnType,
  date32,
  float64,
  int32,
  int64,
  ipcBatch,
  rowsOf,
  type TimeUnit,
  timestampMs,
  timestampUs,
  utf8,
} from './arrow.js';
export { type EncodedColumn, encodeIpcBatch } from './ipc-write.js';
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
export { IncrementalCursor, type IncrementalCursorOptions } from './incremental.js';
export { OAuth2ClientCredentials, type OAuth2Options } from './oauth2.js';
export {
  cursorPaging,
  linkPaging,
  offsetPaging,
  type Page,
  type PaginateOptions,
  type Paging,
  pagePaging,
  paginate,
  parseLinkHeader,
} from './paginate.js';
export {
  type CheckResult,
  type DiscoverResult,
  type OpenParams,
  type Reader,
  reader,
  type Writer,
  writer,
} from './plugin.js';
export { RateLimiter, type RateLimiterOptions } from './rate-limit.js';
export { type RetryOptions, retryAfterMs, withRetry } from './retry.js';
export { type Send, type StateStore, sleepMs } from './send.js';
