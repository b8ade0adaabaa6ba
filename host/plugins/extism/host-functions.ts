/**
 * The `dativo` import namespace (architecture §5) and our wrappers over Extism's kernel, as they
 * run inside the plugin's Worker. Synchronous by construction: the plugin runs in Extism's
 * foreground mode in this thread, and the one call needing async I/O (HTTP) blocks on
 * Atomics.wait while the host thread does it.
 *
 * Conventions (see wit/README.md): strings and small values travel as kernel handles (i64);
 * bulk bytes move straight between linear memory and the host (`bulk_load`, `bulk_store`,
 * `output_write`). A fallible function returns 0 (or a non-zero i32) on failure and leaves the
 * error JSON for `last_error()`.
 */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HttpOutcome, HttpRequest } from '../http-policy.js';
import type { InputFiles } from '../input-files.js';
import type { Denial, Grant } from '../policy.js';
import type { WasmMemory } from '../wasm-api.js';
import { HostLimitError, type KernelBudget, type KernelContext } from './budget.js';
import type { PluginErrorInfo } from './protocol.js';

export const DATIVO_NAMESPACE = 'dativo';
export const KERNEL_NAMESPACE = 'extism:host/env';

export const DATIVO_IMPORTS = [
  'bulk_load',
  'bulk_store',
  'config',
  'secret_get',
  'log',
  'state_get',
  'state_set',
  'http_request',
  'http_status',
  'http_headers',
  'output_write',
  'last_error',
  'input_list',
  'input_read',
  'output_bytes',
] as const;

export const KERNEL_IMPORTS = [
  'alloc',
  'free',
  'length',
  'length_unsafe',
  'load_u8',
  'load_u64',
  'store_u8',
  'store_u64',
  'input_offset',
  'input_length',
  'input_load_u8',
  'input_load_u64',
  'output_set',
  'error_set',
  'config_get',
  'var_get',
  'var_set',
  'http_request',
  'http_status_code',
  'log_info',
  'log_debug',
  'log_warn',
  'log_error',
] as const;

const MAX_STATE_BYTES = 1024 * 1024;
export const MAX_LOG_LINES_PER_CALL = 1000;
const MAX_LOG_CHARS = 4096;
const OUTPUT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export interface HostEnv {
  grant: Grant;
  config: string;
  state: Record<string, string>;
  secrets: Record<string, string>;
  missingSecrets: Set<string>;
  outputDir: string | undefined;
  budget: KernelBudget;
  /** The granted input files (readers with `capabilities.files`), read by logical name. */
  files: InputFiles;
  memory: () => WasmMemory;
  /** Blocking round trip to the host thread (HTTP); `maxBytes`: room left in the budget. */
  http: (req: HttpRequest, body: Uint8Array | undefined, maxBytes: number) => HttpOutcome;
  emitLog: (level: (typeof LEVELS)[number], message: string) => void;
  emitDenied: (d: Denial) => void;
}

/** Per-instance mutable bits the host functions share with the worker loop. */
export interface HostState {
  lastError: PluginErrorInfo | undefined;
  lastHttp: { status: number; headers: Record<string, string> } | undefined;
  outputUsed: number;
  logsThisCall: number;
  /** Lines and bytes dropped over this instance's life (per-call line cap or the run's byte cap). */
  logsDropped: number;
  logBytesDropped: number;
  /** Log bytes emitted over the instance's life, including earlier workers of it (grant.logBytes). */
  logBytes: number;
  /** A limit or denial that must fail the current call even if the plugin ignores the error. */
  fatal: HostLimitError | undefined;
  /** Denial to report with the failed call. */
  denial: Denial | undefined;
  vars: Map<string, Uint8Array>;
  /** Set by `output_bytes` during a call: a private copy, handed over to the host thread. */
  outputCopy: Uint8Array | undefined;
}

export function newHostState(outputUsed: number, logBytes = 0): HostState {
  return {
    lastError: undefined,
    lastHttp: undefined,
    outputUsed,
    logsThisCall: 0,
    logsDropped: 0,
    logBytesDropped: 0,
    logBytes,
    fatal: undefined,
    denial: undefined,
    vars: new Map(),
    outputCopy: undefined,
  };
}

type Fn = (ctx: KernelContext, ...args: never[]) => unknown;

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function buildHostFunctions(env: HostEnv, st: HostState): Record<string, Record<string, Fn>> {
  const plugin = env.grant.plugin;
  const enc = new TextEncoder();
  const secretValues = Object.values(env.secrets).filter((v) => v.length >= 4);

  const text = (ctx: KernelContext, h: bigint): string => ctx.read(h)?.string() ?? '';
  const bytesOf = (ctx: KernelContext, h: bigint): Uint8Array | undefined =>
    h === 0n ? undefined : ctx.read(h)?.bytes();
  const fail = (e: PluginErrorInfo): void => {
    st.lastError = e;
  };
  const denyCall = (capability: Denial['capability'], resource: string, message: string): void => {
    const d: Denial = { plugin, capability, resource, message };
    env.emitDenied(d);
    st.denial ??= d;
    fail({ code: 'PLUGIN_DENIED', message, retryable: false });
  };
  /** Names echoed in messages and audit lines: a plugin's 60 MB "name" must not become a log line. */
  const clip = (s: string): string => (s.length > 200 ? `${s.slice(0, 200)}…` : s);
  const mask = (s: string): string => {
    let out = s;
    for (const v of secretValues) out = out.split(v).join('***');
    return out;
  };
  const linear = (ptr: number, len: number): Uint8Array => {
    const buf = env.memory().buffer;
    const p = ptr >>> 0;
    const n = len >>> 0;
    if (p + n > buf.byteLength) {
      throw new HostLimitError(
        'memory',
        `${p}+${n}`,
        `plugin ${plugin}: pointer range ${p}..${p + n} is outside the module's memory (${buf.byteLength} bytes)`,
      );
    }
    return new Uint8Array(buf, p, n);
  };
  const log = (level: (typeof LEVELS)[number], message: string): void => {
    const clipped =
      message.length > MAX_LOG_CHARS ? `${message.slice(0, MAX_LOG_CHARS)}… (truncated)` : message;
    const bytes = Buffer.byteLength(clipped);
    // Lines over the per-call cap or the run's byte cap (log_mb) are dropped and counted; the host
    // reports the count once, when the instance closes.
    if (st.logsThisCall++ >= MAX_LOG_LINES_PER_CALL || st.logBytes + bytes > env.grant.logBytes) {
      st.logsDropped++;
      st.logBytesDropped += bytes;
      return;
    }
    st.logBytes += bytes;
    env.emitLog(level, mask(clipped));
  };
  const stateBytes = (): number =>
    Object.entries(env.state).reduce((n, [k, v]) => n + k.length + v.length, 0);

  const dativo: Record<string, Fn> = {
    bulk_load(ctx, h: bigint, ptr: number) {
      const src = bytesOf(ctx, h);
      if (!src) return -1n;
      linear(ptr, src.byteLength).set(src);
      return BigInt(src.byteLength);
    },
    bulk_store(ctx, ptr: number, len: number) {
      return env.budget.store(ctx, linear(ptr, len));
    },
    config(ctx) {
      return env.budget.store(ctx, enc.encode(env.config));
    },
    secret_get(ctx, nameH: bigint) {
      const full = text(ctx, nameH);
      const name = clip(full);
      if (!env.grant.secrets.includes(full)) {
        denyCall(
          'secret',
          name,
          `plugin ${plugin}: secret "${name}" denied (capability secret, resource ${name}); granted secrets: ${env.grant.secrets.join(', ') || 'none'}`,
        );
        return 0n;
      }
      const value = env.secrets[full];
      if (value === undefined || env.missingSecrets.has(full)) {
        fail({
          code: 'SECRET_NOT_FOUND',
          message: `plugin ${plugin}: secret "${name}" is granted but not set in the secret store`,
          retryable: false,
        });
        return 0n;
      }
      st.lastError = undefined;
      return env.budget.store(ctx, enc.encode(value));
    },
    log(ctx, level: number, msgH: bigint) {
      log(LEVELS[level] ?? 'info', text(ctx, msgH));
    },
    state_get(ctx, keyH: bigint) {
      st.lastError = undefined;
      const v = env.state[text(ctx, keyH)];
      return v === undefined ? 0n : env.budget.store(ctx, enc.encode(v));
    },
    state_set(ctx, keyH: bigint, valH: bigint) {
      const key = text(ctx, keyH);
      const value = text(ctx, valH);
      const before = env.state[key];
      env.state[key] = value;
      if (stateBytes() > MAX_STATE_BYTES) {
        if (before === undefined) delete env.state[key];
        else env.state[key] = before;
        fail({
          code: 'STATE_TOO_LARGE',
          message: `plugin ${plugin}: state above ${MAX_STATE_BYTES} bytes`,
          retryable: false,
        });
        return 1;
      }
      return 0;
    },
    http_request(ctx, reqH: bigint, bodyH: bigint) {
      return httpCall(ctx, reqH, bodyH);
    },
    http_status() {
      return st.lastHttp?.status ?? 0;
    },
    http_headers(ctx) {
      return env.budget.store(ctx, enc.encode(JSON.stringify(st.lastHttp?.headers ?? {})));
    },
    output_write(ctx, nameH: bigint, ptr: number, len: number) {
      const name = text(ctx, nameH);
      const data = linear(ptr, len);
      if (!env.outputDir) {
        denyCall(
          'output',
          name,
          `plugin ${plugin}: output_write is only granted to writers (capability output, resource ${name})`,
        );
        return 1;
      }
      if (!OUTPUT_NAME.test(name)) {
        fail({
          code: 'BAD_OUTPUT_NAME',
          message: `plugin ${plugin}: output name "${name}" must match ${OUTPUT_NAME}`,
          retryable: false,
        });
        return 1;
      }
      if (st.outputUsed + data.byteLength > env.grant.outputBytes) {
        const message =
          `plugin ${plugin}: output limit exceeded (capability output, resource ${name}): ` +
          `${st.outputUsed + data.byteLength} bytes would pass the ${env.grant.outputBytes} granted (output_mb)`;
        // Fail the call whatever the plugin does next; a second attempt ends it at once.
        if (st.fatal) throw st.fatal;
        st.fatal = new HostLimitError('output', name, message);
        denyCall('output', name, message);
        return 1;
      }
      const file = path.join(env.outputDir, name);
      if (existsSync(file)) appendFileSync(file, data);
      else writeFileSync(file, data);
      st.outputUsed += data.byteLength;
      return 0;
    },
    output_bytes(_ctx, ptr: number, len: number) {
      // This call's output straight from linear memory into a buffer of its own, which the host
      // thread then owns (transferred, not copied): the one copy of a batch happens here, on the
      // plugin's thread, while the host thread works on the previous batch.
      const src = linear(ptr, len);
      if (src.byteLength > env.budget.limit) {
        throw new HostLimitError(
          'kernel-memory',
          `${src.byteLength} bytes`,
          `plugin ${plugin}: output of ${src.byteLength} bytes is above the ${env.budget.limit} granted (memory_mb)`,
        );
      }
      st.outputCopy = src.slice();
      return 0;
    },
    input_list(ctx) {
      return env.budget.store(ctx, enc.encode(JSON.stringify(env.files.list())));
    },
    input_read(ctx, nameH: bigint, offset: bigint, ptr: number, len: number) {
      const name = text(ctx, nameH);
      const n = len >>> 0;
      // Name, size and offset first: a denied read never touches memory or the disk.
      const bad = env.files.check(name, offset, n);
      const r = bad ?? env.files.read(name, offset, linear(ptr, n));
      if (r.ok) {
        st.lastError = undefined;
        return BigInt(r.bytes);
      }
      if (r.denied) denyCall('file', name.length > 200 ? `${name.slice(0, 200)}…` : name, r.message);
      else fail({ code: r.code, message: r.message, retryable: false });
      return -1n;
    },
    last_error(ctx) {
      const e = st.lastError;
      return e ? env.budget.store(ctx, enc.encode(JSON.stringify(e))) : 0n;
    },
  };

  function httpCall(ctx: KernelContext, reqH: bigint, bodyH: bigint): bigint {
    let req: HttpRequest;
    try {
      req = JSON.parse(text(ctx, reqH)) as HttpRequest;
      if (typeof req?.url !== 'string') throw new Error('no url');
    } catch {
      fail({
        code: 'BAD_REQUEST',
        message: `plugin ${plugin}: http_request expects JSON {"method","url","headers"}`,
        retryable: false,
      });
      return 0n;
    }
    const body = bytesOf(ctx, bodyH);
    // The response will be stored as a kernel block: it may be at most the room left in the budget.
    const outcome = env.http(req, body ? body.slice() : undefined, env.budget.limit - env.budget.used);
    if (!outcome.ok) {
      st.lastHttp = undefined;
      if (outcome.error.denied) {
        denyCall(outcome.error.denied.capability, outcome.error.denied.resource, outcome.error.message);
      } else fail(outcome.error);
      return 0n;
    }
    st.lastError = undefined;
    st.lastHttp = { status: outcome.response.status, headers: outcome.response.headers };
    return env.budget.store(ctx, outcome.response.body);
  }

  // Kernel wrappers: Extism 1.0.3 merges user functions over its own `extism:host/env`
  // (createForegroundPlugin assigns into context[ENV]), so these replace the originals.
  const kernel: Record<string, Fn> = {
    alloc(ctx, n: bigint) {
      return env.budget.alloc(ctx, Number(n));
    },
    var_get(ctx, keyH: bigint) {
      const v = st.vars.get(text(ctx, keyH));
      return v ? env.budget.store(ctx, v) : 0n;
    },
    var_set(ctx, keyH: bigint, valH: bigint) {
      const key = text(ctx, keyH);
      const old = st.vars.get(key);
      const value = valH === 0n ? undefined : (bytesOf(ctx, valH)?.slice() ?? new Uint8Array(0));
      // The key is held too: a var per huge key must not grow the host outside the budget.
      const held = (v: Uint8Array | undefined) => (v ? key.length * 2 + v.byteLength : 0);
      env.budget.chargeVar(ctx, held(value) - held(old));
      if (value) st.vars.set(key, value);
      else st.vars.delete(key);
    },
    config_get() {
      // Extism's string config is not used: the plugin's config is `dativo.config` (JSON).
      return 0n;
    },
    http_request(ctx, reqH: bigint, bodyH: bigint) {
      return httpCall(ctx, reqH, bodyH);
    },
    http_status_code() {
      return st.lastHttp?.status ?? 0;
    },
  };
  for (const level of ['info', 'debug', 'warn', 'error'] as const) {
    kernel[`log_${level}`] = (ctx: KernelContext, h: bigint) => log(level, text(ctx, h));
  }
  return { [DATIVO_NAMESPACE]: dativo, [KERNEL_NAMESPACE]: kernel };
}
