/**
 * One component instance, in its own Worker. It speaks the Extism worker's protocol
 * (`../extism/protocol.ts`), so the host-thread side (`ExtismInstance`: per-call timeout by
 * terminating this thread, HTTP through the policy, logs, audit, restart after a trap) and the
 * Source/Sink over it are shared. Calls arrive with their Extism names (`next_batch`) and bytes;
 * this file turns them into the world's typed functions and back.
 *
 * Memory: the core modules arrive compiled with the grant written into their memory maximum
 * (memory-cap.ts), so V8 refuses growth past it. Host imports are synchronous; HTTP blocks on
 * Atomics.wait while the host thread does the request.
 */

import { pathToFileURL } from 'node:url';
import { type MessagePort, parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { HostLimitError, KernelBudget } from '../extism/budget.js';
import { type HostEnv, type HostState, newHostState } from '../extism/host-functions.js';
import type {
  CallMessage,
  CallResult,
  FailureKind,
  FromWorker,
  InitMessage,
  PluginErrorInfo,
  ToWorker,
} from '../extism/protocol.js';
import { CTL_CALLS, CTL_RESULTS } from '../extism/protocol.js';
import type { HttpOutcome, HttpRequest } from '../http-policy.js';
import { createInputFiles } from '../input-files.js';
import { Wasm, type WasmModule } from '../wasm-api.js';
import { ArgumentMemory, buildComponentHost, CallBlocks } from './host-functions.js';
import { wasiImports } from './wasi.js';

/** What the host thread sends as `module` for a component. */
export interface ComponentModules {
  bindings: string;
  cores: Record<string, WasmModule>;
  exports: string[];
}

type Root = Record<string, (...args: unknown[]) => unknown>;

const port = parentPort;
if (!port) throw new Error('component worker must run inside a worker thread');

const SPIN_MS = 0.05;
const enc = new TextEncoder();
const dec = new TextDecoder();
let root: Root | undefined;
let env: HostEnv | undefined;
let st: HostState | undefined;
let blocks: CallBlocks | undefined;
let out: { port: MessagePort; ctl: Int32Array } | undefined;
let queue: Promise<void> = Promise.resolve();

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  if (!out) {
    port!.postMessage(msg, transfer);
    return;
  }
  out.port.postMessage(msg, transfer);
  if (msg.type === 'result') {
    Atomics.add(out.ctl, CTL_RESULTS, 1);
    Atomics.notify(out.ctl, CTL_RESULTS);
  }
}

function blockingHttp(hostPort: MessagePort, flag: Int32Array) {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  return (req: HttpRequest, body?: Uint8Array): HttpOutcome => {
    Atomics.store(flag, 0, 0);
    hostPort.postMessage({ type: 'http', req, body });
    while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0, 1000);
    let reply = receiveMessageOnPort(hostPort);
    for (let i = 0; !reply && i < 1000; i++) {
      Atomics.wait(sleeper, 0, 0, 1);
      reply = receiveMessageOnPort(hostPort);
    }
    const outcome = (reply?.message as { outcome: HttpOutcome } | undefined)?.outcome;
    return (
      outcome ?? { ok: false, error: { code: 'INTERNAL', message: 'no reply from host', retryable: true } }
    );
  };
}

/** Extism export name → the bindings' function and how its input/output cross. */
const CALLS: Record<string, (r: Root, input: Uint8Array | undefined) => Uint8Array | null> = {
  open(r, input) {
    const p = JSON.parse(dec.decode(input ?? enc.encode('{}'))) as {
      batch_size?: number;
      stream?: string | null;
    };
    r.open?.({ batchSize: p.batch_size ?? 1000, stream: p.stream ?? undefined });
    return null;
  },
  next_batch: (r) => (r.nextBatch?.() as Uint8Array | undefined) ?? null,
  check: (r) => enc.encode(JSON.stringify(r.check?.())),
  discover: (r) => enc.encode(String(r.discover?.())),
  close(r) {
    r.close?.();
    return null;
  },
  write_batch(r, input) {
    r.writeBatch?.(input ?? new Uint8Array(0));
    return null;
  },
  commit: (r) => enc.encode(String(r.commit?.())),
  abort(r, input) {
    r.abort?.(dec.decode(input ?? new Uint8Array(0)));
    return null;
  },
};

async function init(msg: InitMessage): Promise<void> {
  const modules = msg.module as unknown as ComponentModules;
  const budget = new KernelBudget(msg.grant.kernelBytes, msg.grant.plugin);
  const memory = new ArgumentMemory();
  env = {
    grant: msg.grant,
    config: msg.config,
    state: { ...msg.state },
    secrets: msg.secrets,
    missingSecrets: new Set(msg.missingSecrets),
    outputDir: msg.outputDir,
    budget,
    files: createInputFiles(msg.grant.files ?? [], msg.grant.plugin),
    memory: () => memory,
    http: blockingHttp(msg.hostPort, new Int32Array(msg.flag)),
    emitLog: (level, message) => post({ type: 'log', level, message }),
    emitDenied: (denial) => post({ type: 'denied', denial }),
  };
  st = newHostState(msg.outputUsed);
  blocks = new CallBlocks();
  const host = buildComponentHost(env as HostEnv & { budget: KernelBudget }, st, blocks, memory);
  try {
    const { instantiate } = (await import(pathToFileURL(modules.bindings).href)) as {
      instantiate: (get: (name: string) => WasmModule, imports: Record<string, unknown>) => Promise<Root>;
    };
    const wasi = wasiImports((line) => host.log('warn', line));
    root = await instantiate(
      (name) => {
        const m = modules.cores[name];
        if (!m) throw new Error(`core module ${name} is missing from the transpiled component`);
        return m;
      },
      { ...wasi, 'dativo:plugin/host': host, 'dativo:plugin/types': {} },
    );
    post({ type: 'ready', exports: modules.exports });
    out = { port: msg.callPort, ctl: new Int32Array(msg.ctl) };
    void serve(msg.callPort, out.ctl);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const link = e instanceof Wasm.LinkError;
    post({
      type: 'init-error',
      kind: link ? 'denied' : 'host',
      error: {
        code: link ? 'PLUGIN_DENIED' : 'PLUGIN_ERROR',
        message: `plugin ${msg.grant.plugin} failed to start: ${message}`,
        retryable: false,
      },
    });
  }
}

async function serve(callPort: MessagePort, ctl: Int32Array): Promise<void> {
  for (;;) {
    const seen = Atomics.load(ctl, CTL_CALLS);
    const m = receiveMessageOnPort(callPort);
    if (!m) {
      const until = performance.now() + SPIN_MS;
      while (Atomics.load(ctl, CTL_CALLS) === seen && performance.now() < until);
      if (Atomics.load(ctl, CTL_CALLS) === seen) Atomics.wait(ctl, CTL_CALLS, seen, 1000);
      continue;
    }
    call(m.message as CallMessage);
  }
}

/** A `result::err` from the component: jco throws a ComponentError carrying the record. */
function pluginError(e: unknown): PluginErrorInfo | undefined {
  const payload = (e as { payload?: unknown } | null)?.payload;
  if (!payload || typeof payload !== 'object') return undefined;
  const p = payload as Partial<PluginErrorInfo>;
  return {
    code: typeof p.code === 'string' && p.code ? p.code : 'PLUGIN_ERROR',
    message: typeof p.message === 'string' ? p.message : String(p.message),
    retryable: p.retryable === true,
  };
}

function classify(e: unknown, plugin: string, fn: string): { kind: FailureKind; error: PluginErrorInfo } {
  if (e instanceof HostLimitError) {
    return { kind: 'limit', error: { code: 'PLUGIN_DENIED', message: e.message, retryable: false } };
  }
  const fromPlugin = pluginError(e);
  if (fromPlugin) return { kind: 'plugin', error: fromPlugin };
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof RangeError || /out of memory|memory access out of bounds|grow/i.test(message)) {
    return {
      kind: 'limit',
      error: {
        code: 'PLUGIN_DENIED',
        message: `plugin ${plugin}: out of memory in ${fn}: ${message}`,
        retryable: false,
      },
    };
  }
  return {
    kind: 'trap',
    error: {
      code: 'PLUGIN_TRAP',
      message: `plugin ${plugin} trapped in ${fn}: ${message}`,
      retryable: false,
    },
  };
}

function resetCall(s: HostState): void {
  s.lastError = undefined;
  s.fatal = undefined;
  s.denial = undefined;
  s.logsThisCall = 0;
}

function call(msg: CallMessage): void {
  const r = root;
  const e = env;
  const s = st;
  if (!r || !e || !s || !blocks) return;
  resetCall(s);
  let callMs = 0;
  const stats = () => ({
    kernelPeakBytes: e.budget.peak,
    outputBytes: s.outputUsed,
    logsDropped: s.logsDropped,
    callMs,
  });
  let result: CallResult;
  try {
    const run = CALLS[msg.fn];
    if (!run) throw new HostLimitError('host', msg.fn, `plugin ${e.grant.plugin}: no such call ${msg.fn}`);
    const t0 = performance.now();
    const output = run(r, msg.input);
    callMs = performance.now() - t0;
    if (s.fatal) throw s.fatal;
    if (s.denial) throw new HostLimitError('host', s.denial.resource, s.denial.message);
    if (output && output.byteLength > e.grant.kernelBytes) {
      throw new HostLimitError(
        'kernel-memory',
        `${output.byteLength} bytes`,
        `plugin ${e.grant.plugin}: output of ${output.byteLength} bytes is above the ${e.grant.kernelBytes} granted (memory_mb)`,
      );
    }
    result = { type: 'result', id: msg.id, ok: true, output, state: { ...e.state }, stats: stats() };
  } catch (err) {
    const cause: unknown = s.fatal ?? err;
    const c = classify(cause, e.grant.plugin, msg.fn);
    result = {
      type: 'result',
      id: msg.id,
      ok: false,
      kind: s.denial ? 'denied' : c.kind,
      error: s.denial ? { code: 'PLUGIN_DENIED', message: s.denial.message, retryable: false } : c.error,
      state: { ...e.state },
      stats: stats(),
    };
    if (s.denial) result.denial = s.denial;
    else if (cause instanceof HostLimitError && cause.capability !== 'host') {
      result.denial = {
        plugin: e.grant.plugin,
        capability: cause.capability,
        resource: cause.resource,
        message: cause.message,
      };
    }
  } finally {
    blocks.reset();
    e.budget.resetBlocks();
  }
  if (s.logsDropped > 0) {
    e.emitLog(
      'warn',
      `plugin ${e.grant.plugin}: ${s.logsDropped} log line(s) dropped (more than 1000 in one call)`,
    );
    s.logsDropped = 0;
  }
  const o = result.ok ? result.output : null;
  const whole = o && o.byteOffset === 0 && o.byteLength === o.buffer.byteLength;
  post(result, whole ? [o.buffer as ArrayBuffer] : []);
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'init') queue = queue.then(() => init(msg));
});
