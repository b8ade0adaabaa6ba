/**
 * One plugin instance, in its own Worker: @extism/extism 1.0.3 in foreground mode (host functions
 * synchronous, batches copied straight into linear memory). The host thread kills this worker to
 * enforce the per-call timeout, so nothing here needs to be interruptible.
 */
import { type MessagePort, parentPort, receiveMessageOnPort } from 'node:worker_threads';
import createPlugin from '@extism/extism';
import type { HttpOutcome, HttpRequest } from '../http-policy.js';
import { createInputFiles } from '../input-files.js';
import { Wasm, type WasmMemory } from '../wasm-api.js';
import { HostLimitError, KernelBudget } from './budget.js';
import { buildHostFunctions, type HostEnv, type HostState, newHostState } from './host-functions.js';
import {
  type CallMessage,
  type CallResult,
  CTL_CALLS,
  CTL_RESULTS,
  type FailureKind,
  type FromWorker,
  type InitMessage,
  type PluginErrorInfo,
  type ToWorker,
} from './protocol.js';

type Plugin = Awaited<ReturnType<typeof createPlugin>>;
/**
 * The module's name inside Extism, so calls can name [module, export] and skip its per-call export
 * scan. Extism names a module handed over on its own (not in a manifest object) "0"; handing it
 * over on its own also skips Extism's check whether the manifest is a fetch `Response`, whose
 * first use loads undici (~20 ms of every start).
 */
const MAIN = '0';
/** How long the call loop polls for the next call before it sleeps (ms). */
const SPIN_MS = 0.05;
const MAX_ERROR_CHARS = 4096;

const port = parentPort;
if (!port) throw new Error('plugin worker must run inside a worker thread');

let plugin: Plugin | undefined;
let env: HostEnv | undefined;
let st: HostState | undefined;
let queue: Promise<void> = Promise.resolve();
const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** After `ready`, everything goes out on the call channel (in order with the results). */
let out: { port: MessagePort; ctl: Int32Array } | undefined;

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  if (!out) {
    port!.postMessage(msg, transfer);
    return;
  }
  out.port.postMessage(msg, transfer);
  // Results wake the host thread; logs and denials ride along and are drained with them.
  if (msg.type === 'result') {
    Atomics.add(out.ctl, CTL_RESULTS, 1);
    Atomics.notify(out.ctl, CTL_RESULTS);
  }
}

/**
 * The call loop: block on the counter, take the call off the port synchronously, run it. No
 * event-loop turn per call on this side. `terminate()` from the host still ends the thread
 * (V8 wakes Atomics.wait for termination; the 1 s timeout is a second guarantee).
 */
async function serve(callPort: MessagePort, ctl: Int32Array): Promise<void> {
  for (;;) {
    const seen = Atomics.load(ctl, CTL_CALLS);
    const m = receiveMessageOnPort(callPort);
    if (!m) {
      // Calls come in bursts (a batch loop): poll briefly before sleeping, since a futex wake on a
      // VM costs tens of µs; then sleep until the host bumps the counter.
      const until = performance.now() + SPIN_MS;
      while (Atomics.load(ctl, CTL_CALLS) === seen && performance.now() < until);
      if (Atomics.load(ctl, CTL_CALLS) === seen) Atomics.wait(ctl, CTL_CALLS, seen, 1000);
      continue;
    }
    await call(m.message as CallMessage);
  }
}

function exactCopy(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer
    ? b
    : b.slice();
}

function blockingHttp(hostPort: MessagePort, flag: Int32Array) {
  return (req: HttpRequest, body: Uint8Array | undefined, maxBytes: number): HttpOutcome => {
    Atomics.store(flag, 0, 0);
    hostPort.postMessage({ type: 'http', req, body, maxBytes });
    // The host thread answers on hostPort, then flips the flag. The per-call timeout still
    // applies: if the host gives up on us it terminates this thread while we wait here.
    while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0, 1000);
    let reply = receiveMessageOnPort(hostPort);
    // The flag is set right after the reply is posted; give the port a moment if it lags.
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

function classify(e: unknown, pluginName: string, fn: string): { kind: FailureKind; error: PluginErrorInfo } {
  if (e instanceof HostLimitError) {
    return {
      kind: e.capability === 'host' ? 'host' : 'limit',
      error: { code: 'PLUGIN_DENIED', message: e.message, retryable: false },
    };
  }
  const full = e instanceof Error ? e.message : String(e);
  // A plugin's error text ends up in the report and on stderr: bounded like a log line.
  const message = full.length > MAX_ERROR_CHARS ? `${full.slice(0, MAX_ERROR_CHARS)}… (truncated)` : full;
  const prefix = 'Plugin-originated error: ';
  if (message.startsWith(prefix)) {
    const body = message.slice(prefix.length);
    try {
      const j = JSON.parse(body) as Partial<PluginErrorInfo>;
      if (j && typeof j.message === 'string') {
        return {
          kind: 'plugin',
          error: {
            code: String(j.code ?? 'PLUGIN_ERROR'),
            message: j.message,
            retryable: j.retryable === true,
          },
        };
      }
    } catch {
      // plain-text error: fine
    }
    return { kind: 'plugin', error: { code: 'PLUGIN_ERROR', message: body, retryable: false } };
  }
  if (e instanceof Wasm.RuntimeError) {
    return {
      kind: 'trap',
      error: {
        code: 'PLUGIN_TRAP',
        message: `plugin ${pluginName} trapped in ${fn}: ${message}`,
        retryable: false,
      },
    };
  }
  if (e instanceof RangeError && /memory|allocation|Array buffer/i.test(message)) {
    return {
      kind: 'limit',
      error: {
        code: 'PLUGIN_DENIED',
        message: `plugin ${pluginName}: out of memory in ${fn}: ${message}`,
        retryable: false,
      },
    };
  }
  return {
    kind: 'host',
    error: {
      code: 'PLUGIN_ERROR',
      message: `plugin ${pluginName} failed in ${fn}: ${message}`,
      retryable: false,
    },
  };
}

async function init(msg: InitMessage): Promise<void> {
  const flag = new Int32Array(msg.flag);
  const budget = new KernelBudget(msg.grant.kernelBytes, msg.grant.plugin);
  let memory: WasmMemory | undefined;
  env = {
    grant: msg.grant,
    config: msg.config,
    state: { ...msg.state },
    secrets: msg.secrets,
    missingSecrets: new Set(msg.missingSecrets),
    outputDir: msg.outputDir,
    budget,
    files: createInputFiles(msg.grant.files ?? [], msg.grant.plugin),
    memory: () => {
      if (!memory) throw new HostLimitError('host', 'memory', 'module memory not available yet');
      return memory;
    },
    http: blockingHttp(msg.hostPort, flag),
    emitLog: (level, message) => post({ type: 'log', level, message }),
    emitDenied: (denial) => post({ type: 'denied', denial }),
  };
  st = newHostState(msg.outputUsed, msg.logBytes);
  const logTo = (level: 'debug' | 'info' | 'warn' | 'error') => (m: string) => env?.emitLog(level, String(m));
  try {
    plugin = await createPlugin(msg.module as unknown as Parameters<typeof createPlugin>[0], {
      useWasi: false,
      runInWorker: false,
      functions: buildHostFunctions(env, st) as never,
      config: {},
      logger: {
        debug: logTo('debug'),
        info: logTo('info'),
        warn: logTo('warn'),
        error: logTo('error'),
        log: logTo('info'),
      } as unknown as Console,
    });
    const instance = (await plugin.getInstance(MAIN)) as unknown as { exports: Record<string, unknown> };
    memory = instance.exports.memory as WasmMemory | undefined;
    if (!memory) throw new Error('the module does not export its memory as "memory"');
    const exports = ((await plugin.getExports(MAIN)) as { name: string; kind: string }[])
      .filter((e) => e.kind === 'function')
      .map((e) => e.name);
    post({ type: 'ready', exports });
    out = { port: msg.callPort, ctl: new Int32Array(msg.ctl) };
    void serve(msg.callPort, out.ctl);
    return;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // A missing import module is a TypeError ("Import #0 module=..."), a missing function a LinkError.
    const link = e instanceof Wasm.LinkError || /Import #\d+/.test(message);
    post({
      type: 'init-error',
      kind: link ? 'denied' : 'host',
      error: {
        code: link ? 'PLUGIN_DENIED' : 'PLUGIN_ERROR',
        message: link
          ? /wasi/i.test(message)
            ? `plugin ${msg.grant.plugin} cannot link: WASI is not granted (no filesystem, environment or clock for plugins): ${message}`
            : `plugin ${msg.grant.plugin} cannot link: ${message}`
          : `plugin ${msg.grant.plugin} failed to start: ${message}`,
        retryable: false,
      },
    });
  }
}

function resetCall(s: HostState): void {
  s.outputCopy = undefined;
  s.lastError = undefined;
  s.fatal = undefined;
  s.denial = undefined;
  s.logsThisCall = 0;
}

async function call(msg: CallMessage): Promise<void> {
  const p = plugin;
  const e = env;
  const s = st;
  if (!p || !e || !s) return;
  resetCall(s);
  let callMs = 0;
  const stats = () => ({
    kernelPeakBytes: e.budget.peak,
    outputBytes: s.outputUsed,
    logsDropped: s.logsDropped,
    logBytesDropped: s.logBytesDropped,
    logBytes: s.logBytes,
    callMs,
  });
  let result: CallResult;
  try {
    const input = msg.input ? exactCopy(msg.input) : undefined;
    const t0 = performance.now();
    const output = await p.call([MAIN, msg.fn] as unknown as string, input);
    callMs = performance.now() - t0;
    // The output block's own buffer goes to the host thread as is (transferred below); the kernel
    // forgets the block at reset, so nothing here touches it again.
    const view = output as unknown as DataView | null;
    const bytes = view ? new Uint8Array(view.buffer as ArrayBuffer, view.byteOffset, view.byteLength) : null;
    if (s.fatal) throw s.fatal;
    // A denied attempt fails the call even when the plugin carries on regardless.
    if (s.denial) throw new HostLimitError('host', s.denial.resource, s.denial.message);
    result = { type: 'result', id: msg.id, ok: true, output: bytes, state: { ...e.state }, stats: stats() };
    // output_bytes wins over a kernel output block.
    if (s.outputCopy) result.output = s.outputCopy;
  } catch (err) {
    const cause: unknown = s.fatal ?? err;
    const c = classify(cause, e.grant.plugin, msg.fn);
    const error = s.denial ? { code: 'PLUGIN_DENIED', message: s.denial.message, retryable: false } : c.error;
    result = {
      type: 'result',
      id: msg.id,
      ok: false,
      kind: s.denial ? 'denied' : c.kind,
      error,
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
    // Every kernel block of this call (input, output, guest allocations) goes; vars are ours.
    await p.reset();
    e.budget.resetBlocks();
  }
  const o = result.ok ? result.output : null;
  const transfer =
    o && o.byteOffset === 0 && o.byteLength === o.buffer.byteLength ? [o.buffer as ArrayBuffer] : [];
  post(result, transfer);
}

port.on('message', (msg: ToWorker) => {
  // Only `init` comes this way; calls come on the call channel (serve), one at a time, in order.
  if (msg.type === 'init') queue = queue.then(() => init(msg));
  else queue = queue.then(() => call(msg));
});
