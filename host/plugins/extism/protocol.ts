/**
 * Messages between the host thread and a plugin's Worker. The worker owns the wasm instance and
 * everything synchronous (kernel, state, secrets it was given, staged outputs); the host thread
 * owns async I/O (HTTP), the logger and the audit trail.
 */
import type { MessagePort } from 'node:worker_threads';
import type { HttpOutcome, HttpRequest } from '../http-policy.js';
import type { Denial, Grant } from '../policy.js';
import type { WasmModule } from '../wasm-api.js';

export interface PluginErrorInfo {
  code: string;
  message: string;
  retryable: boolean;
}

/** Why a call failed: the plugin said so, the module trapped, or the host stopped it at a limit. */
export type FailureKind = 'plugin' | 'trap' | 'limit' | 'denied' | 'host';

export interface InitMessage {
  type: 'init';
  /** Compiled on the host thread (in the background, while this worker boots), once per instance. */
  module: WasmModule;
  grant: Grant;
  /** The plugin's config as JSON text. */
  config: string;
  state: Record<string, string>;
  /** Values of granted secrets that exist; names granted but absent are listed in `missingSecrets`. */
  secrets: Record<string, string>;
  missingSecrets: string[];
  /** Where `output_write` stages files (writers). */
  outputDir?: string;
  /** Bytes already staged by an earlier incarnation of this instance (after a recreate). */
  outputUsed: number;
  /** Log bytes already emitted by earlier incarnations (the cap is per run, not per worker). */
  logBytes: number;
  hostPort: MessagePort;
  /** Int32[0]: 0 while a host call is pending, 1 once the reply is on hostPort. */
  flag: SharedArrayBuffer;
  /**
   * The call channel: calls in, results, logs and denials out, in order. Neither side waits for
   * its event loop: each message is followed by a bump of a counter in `ctl` (Int32[CTL_CALLS]
   * host→worker, Int32[CTL_RESULTS] worker→host) that the other side waits on with Atomics.
   */
  callPort: MessagePort;
  ctl: SharedArrayBuffer;
}

export const CTL_CALLS = 0;
export const CTL_RESULTS = 1;
export const CTL_BYTES = 8;

export interface CallMessage {
  type: 'call';
  id: number;
  fn: string;
  input?: Uint8Array;
}

export type ToWorker = InitMessage | CallMessage;

export interface CallStats {
  kernelPeakBytes: number;
  outputBytes: number;
  /** Dropped by this worker so far (cumulative over its calls). */
  logsDropped: number;
  logBytesDropped: number;
  logBytes: number;
  /** Time spent inside the plugin call, measured in the worker (ms). */
  callMs: number;
}

export type CallResult =
  | {
      type: 'result';
      id: number;
      ok: true;
      output: Uint8Array | null;
      state: Record<string, string>;
      stats: CallStats;
    }
  | {
      type: 'result';
      id: number;
      ok: false;
      kind: FailureKind;
      error: PluginErrorInfo;
      denial?: Denial;
      state: Record<string, string>;
      stats: CallStats;
    };

export type FromWorker =
  | { type: 'ready'; exports: string[] }
  | { type: 'init-error'; kind: FailureKind; error: PluginErrorInfo; denial?: Denial }
  | CallResult
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string }
  | { type: 'denied'; denial: Denial };

export type HostCall = { type: 'http'; req: HttpRequest; body?: Uint8Array; maxBytes: number };
export type HostReply = { type: 'http'; outcome: HttpOutcome };
