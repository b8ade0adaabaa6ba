/**
 * The host-thread side of one Extism plugin instance: spawns its Worker, enforces the per-call
 * timeout by terminating it, answers its HTTP calls through the policy, logs (masked) and audits.
 * A trap, limit or timeout ends that worker only; the next call starts a fresh one from the last
 * good state, so the host stays up and can retry or fail the run cleanly.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import type { SecretLookup } from '../../config/secret-lookup.js';
import { DativoError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { masker } from '../../secrets/masker.js';
import { spawnWorker } from '../../sinks/parquet/spawn-worker.js';
import { createHttpClient } from '../http-policy.js';
import { auditDenial, type Denial, type Grant } from '../policy.js';
import { Wasm, type WasmModule } from '../wasm-api.js';
import { MAX_LOG_LINES_PER_CALL } from './host-functions.js';
import {
  type CallResult,
  CTL_BYTES,
  CTL_CALLS,
  CTL_RESULTS,
  type FromWorker,
  type HostCall,
  type InitMessage,
} from './protocol.js';

type WaitAsync = (
  a: Int32Array,
  i: number,
  v: number,
  timeoutMs?: number,
) => { async: boolean; value: Promise<'ok' | 'timed-out'> | 'not-equal' | 'timed-out' };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
/**
 * How long the host thread blocks (a futex wait, not a spin) for a result before yielding to its
 * event loop: short calls (open, check, small batches) come back without an event-loop turn on
 * either side; long ones cost at most this much of the thread's time.
 */
const SYNC_WAIT_MS = 0.2;
const SPIN_MS = 0.03;

/**
 * A plugin Worker started before an instance needs it: booting a Worker and loading the runtime
 * into it takes ~50 ms (more on a busy machine), which then overlaps the manifest and module checks
 * and, in a run, the sink's start. It holds nothing until an instance sends it a module; it does not
 * keep the process alive while it waits.
 */
export interface EarlyWorker {
  worker: Worker;
  /** Set when it died before use (the instance then starts a fresh one, which reports why). */
  died?: boolean;
}

const LOADER_FLAGS = new Set(['--require', '-r', '--import', '--loader', '--experimental-loader']);

/**
 * The parent's Node flags without module loaders. A plugin worker runs built code, or registers
 * tsx itself when it runs from source (spawnWorker), so an inherited loader (tsx's, when the host
 * runs under tsx) only slows every start: ~0.1 s per plugin start here.
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    if (LOADER_FLAGS.has(flag)) i++;
    else if (!LOADER_FLAGS.has(flag.split('=')[0] as string)) out.push(flag);
  }
  return out;
}

const WORKER_OPTIONS = {
  resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32 },
  stdout: true,
  stderr: true,
  execArgv: workerExecArgv(),
};

/**
 * Spawn a plugin Worker now, so its boot (seconds' worth of module loading under tsx, ~0.1 s
 * built) overlaps the host's checks and compiling; `rt` names another runtime's worker file.
 * Listeners are on from the moment it exists: a crash while booting marks it dead (the instance
 * then starts a fresh one, whose failure is reported), it never goes unnoticed.
 */
export function startWorkerEarly(rt?: Pick<WorkerRuntime, 'callerUrl' | 'worker'>): EarlyWorker {
  const early: EarlyWorker = {
    worker: spawnWorker(rt?.callerUrl ?? import.meta.url, rt?.worker ?? 'worker', WORKER_OPTIONS),
  };
  const died = () => {
    early.died = true;
  };
  early.worker.once('error', died).once('exit', died);
  early.worker.unref();
  return early;
}

/**
 * Another runtime whose worker speaks this file's protocol (host/plugins/component): what to send
 * as the init message's `module`, and which worker file to start. The default is Extism's.
 */
export interface WorkerRuntime {
  load(): Promise<WasmModule>;
  /** `import.meta.url` of the file beside the worker, and the worker's base name. */
  callerUrl: string;
  worker: string;
  /** Allowance for start-up beyond the per-call limit (default 5 s). */
  startupMs?: number;
}

/**
 * Observation of plugin calls (tracing, metrics), passed in by whoever opens the plugin: the host
 * calls `around` with the call and a thunk that runs it, and never knows what is recorded.
 */
export interface PluginCallHooks {
  around<T>(
    call: { plugin: string; fn: string; stats: () => CallResult['stats'] | undefined },
    run: () => Promise<T>,
  ): Promise<T>;
}

export interface InstanceOptions {
  wasm: Uint8Array;
  runtime?: WorkerRuntime;
  /** Used for the first start instead of spawning a Worker then (see startWorkerEarly). */
  early?: EarlyWorker;
  grant: Grant;
  /** The plugin's config as JSON text. */
  config: string;
  state?: Record<string, string>;
  secrets?: SecretLookup;
  /** Writers: the staging folder for `output_write`. */
  outputDir?: string;
  logger?: Logger;
  fetch?: typeof fetch;
  /** The run's interrupt: aborting it ends a running call at once (the worker is terminated). */
  signal?: AbortSignal;
  hooks?: PluginCallHooks;
}

interface Live {
  worker: Worker;
  pending: Map<number, { resolve: (r: CallResult) => void; reject: (e: Error) => void }>;
  exports: string[];
  callPort: MessagePort;
  ctl: Int32Array;
  dead: boolean;
}

export class ExtismInstance {
  private live: Live | undefined;
  private early: EarlyWorker | undefined;
  /** Compiled once; a restart after a trap or timeout reuses it. */
  private module: Promise<WasmModule> | undefined;
  private nextId = 1;
  private goodState: Record<string, string>;
  private outputUsed = 0;
  /** Log bytes emitted over the instance's life (the per-run cap, grant.logBytes). */
  private logBytes = 0;
  /** Log lines/bytes dropped by workers already gone, and by the current one. */
  private readonly dropped = { lines: 0, bytes: 0 };
  private workerDropped = { lines: 0, bytes: 0 };
  /** Aborted when the running call ends (result, timeout, interrupt): its HTTP requests stop. */
  private callAbort: AbortController | undefined;
  private readonly secretValues: Record<string, string> = {};
  private readonly missingSecrets: string[] = [];
  private readonly http;
  /** Counters of the last finished call (kernel peak, output bytes, time inside the worker). */
  lastStats: CallResult['stats'] | undefined;
  /** How many workers this instance has started (1 + recreations). */
  starts = 0;
  exports: string[] = [];

  private constructor(private readonly opts: InstanceOptions) {
    this.early = opts.early;
    this.goodState = { ...(opts.state ?? {}) };
    for (const name of opts.grant.secrets) {
      const v = opts.secrets?.get(name);
      if (typeof v === 'string') {
        masker.register(v);
        this.secretValues[name] = v;
      } else this.missingSecrets.push(name);
    }
    this.http = createHttpClient({
      name: `plugin ${opts.grant.plugin}`,
      hosts: opts.grant.hosts,
      policy: opts.grant.http,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
  }

  static async start(opts: InstanceOptions): Promise<ExtismInstance> {
    const inst = new ExtismInstance(opts);
    await inst.ensureLive();
    return inst;
  }

  get plugin(): string {
    return this.opts.grant.plugin;
  }

  /** The state after the last successful call (what a checkpoint may commit). */
  state(): Record<string, string> {
    return { ...this.goodState };
  }

  outputBytes(): number {
    return this.outputUsed;
  }

  private error(
    code: 'PLUGIN_ERROR' | 'PLUGIN_DENIED',
    message: string,
    details: Record<string, unknown>,
    retryable = false,
  ): DativoError {
    return new DativoError(code, masker.mask(message), {
      location: { plugin: this.plugin },
      retryable,
      details,
    });
  }

  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
  private async ensureLive(): Promise<Live> {
    if (this.live) return this.live;
    const { grant } = this.opts;
    // Compiled here (V8 does it on its own threads, ~2 ms for a typical plugin, while an early
    // Worker is still booting); only the compiled module crosses to the worker.
    this.module ??= this.opts.runtime ? this.opts.runtime.load() : Wasm.compile(this.opts.wasm);
    let module: WasmModule;
    try {
      module = await this.module;
    } catch (e) {
      void this.early?.worker.terminate();
      this.early = undefined;
      if (e instanceof DativoError) throw e; // a refusal of the runtime's own checks, as it is
      throw this.error(
        'PLUGIN_ERROR',
        `plugin ${this.plugin} failed to start: ${e instanceof Error ? e.message : String(e)}`,
        { call: 'init' },
      );
    }
    const early = this.early;
    this.early = undefined;
    if (early?.died) void early.worker.terminate();
    const rt = this.opts.runtime;
    const worker =
      early && !early.died
        ? early.worker
        : spawnWorker(rt?.callerUrl ?? import.meta.url, rt?.worker ?? 'worker', WORKER_OPTIONS);
    worker.ref();
    this.starts++;
    const channel = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    const flagView = new Int32Array(flag);
    channel.port1.on('message', (m: HostCall) => {
      const signal = this.callAbort?.signal ?? AbortSignal.abort();
      void this.http(m.req, m.body, { signal, maxBytes: m.maxBytes }).then(
        (outcome) => {
          channel.port1.postMessage({ type: 'http', outcome });
          Atomics.store(flagView, 0, 1);
          Atomics.notify(flagView, 0);
        },
        (e: unknown) => {
          channel.port1.postMessage({
            type: 'http',
            outcome: { ok: false, error: { code: 'CONNECTION_FAILED', message: String(e), retryable: true } },
          });
          Atomics.store(flagView, 0, 1);
          Atomics.notify(flagView, 0);
        },
      );
    });
    const calls = new MessageChannel();
    const ctlBuf = new SharedArrayBuffer(CTL_BYTES);
    const live: Live = {
      worker,
      pending: new Map(),
      exports: [],
      callPort: calls.port1,
      ctl: new Int32Array(ctlBuf),
      dead: false,
    };
    // Messages that arrive while no call waits (a log line between calls) still get handled.
    calls.port1.on('message', (m: FromWorker) => this.onMessage(live, m));
    calls.port1.unref();
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          void worker.terminate();
          reject(
            this.error(
              'PLUGIN_ERROR',
              `plugin ${this.plugin}: start-up exceeded the ${grant.timeoutMs} ms time limit; the instance was terminated`,
              { call: 'init', capability: 'timeout' },
            ),
          );
        },
        grant.timeoutMs + (this.opts.runtime?.startupMs ?? 5000),
      );
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          live.exports = m.exports;
          resolve();
        } else if (m.type === 'init-error') {
          clearTimeout(timer);
          void worker.terminate();
          if (m.error.code === 'PLUGIN_DENIED') {
            auditDenial(this.opts.logger, {
              plugin: this.plugin,
              capability: 'import',
              resource: 'link',
              message: m.error.message,
            });
          }
          reject(
            this.error(m.error.code === 'PLUGIN_DENIED' ? 'PLUGIN_DENIED' : 'PLUGIN_ERROR', m.error.message, {
              call: 'init',
            }),
          );
        } else this.onMessage(live, m);
      });
      worker.on('error', (e) => {
        clearTimeout(timer);
        this.fail(
          live,
          this.error('PLUGIN_ERROR', `plugin ${this.plugin}: worker crashed: ${e.message}`, {
            call: 'worker',
          }),
        );
        reject(
          this.error('PLUGIN_ERROR', `plugin ${this.plugin}: worker crashed: ${e.message}`, { call: 'init' }),
        );
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        this.fail(
          live,
          this.error('PLUGIN_ERROR', `plugin ${this.plugin}: worker exited (code ${code})`, {
            call: 'worker',
          }),
        );
        reject(
          this.error('PLUGIN_ERROR', `plugin ${this.plugin}: worker exited during start-up (code ${code})`, {
            call: 'init',
          }),
        );
      });
    });
    const init: InitMessage = {
      type: 'init',
      module,
      grant,
      config: this.opts.config,
      state: this.goodState,
      secrets: this.secretValues,
      missingSecrets: this.missingSecrets,
      outputUsed: this.outputUsed,
      logBytes: this.logBytes,
      hostPort: channel.port2,
      flag,
      callPort: calls.port2,
      ctl: ctlBuf,
      ...(this.opts.outputDir ? { outputDir: this.opts.outputDir } : {}),
    };
    worker.postMessage(init, [channel.port2, calls.port2]);
    await ready;
    this.live = live;
    this.exports = live.exports;
    return live;
  }

  private onMessage(live: Live, m: FromWorker): void {
    if (m.type === 'log') {
      try {
        this.opts.logger?.[m.level]({ plugin: this.plugin, source: 'plugin' }, masker.mask(m.message));
      } catch {
        // a broken logger must not take the host down
      }
    } else if (m.type === 'denied') {
      auditDenial(this.opts.logger, { ...m.denial, message: masker.mask(m.denial.message) });
    } else if (m.type === 'result') {
      live.pending.get(m.id)?.resolve(m);
      live.pending.delete(m.id);
    }
  }

  /** The worker's drop counters are lost with it: bank them first. */
  private bankDropped(): void {
    this.dropped.lines += this.workerDropped.lines;
    this.dropped.bytes += this.workerDropped.bytes;
    this.workerDropped = { lines: 0, bytes: 0 };
  }

  private fail(live: Live, err: Error): void {
    this.bankDropped();
    live.dead = true;
    if (this.live === live) this.live = undefined;
    for (const p of live.pending.values()) p.reject(err);
    live.pending.clear();
  }

  /** Kill the current worker (after a timeout, trap or limit); the next call starts a new one. */
  private async discard(live: Live): Promise<void> {
    this.bankDropped();
    live.dead = true;
    if (this.live === live) this.live = undefined;
    await live.worker.terminate();
  }

  /** Hands every message waiting on the call channel to onMessage, in order. */
  private drain(live: Live): void {
    for (let m = receiveMessageOnPort(live.callPort); m; m = receiveMessageOnPort(live.callPort)) {
      this.onMessage(live, m.message as FromWorker);
    }
  }

  /**
   * Waits for call `id`'s result on the shared counter: first a short blocking wait (answers
   * short calls without an event-loop turn), then Atomics.waitAsync in bounded slices so a dead
   * worker (timeout, crash) never leaves a wait behind.
   */
  private async awaitResult(live: Live, id: number): Promise<void> {
    let first = true;
    while (!live.dead && live.pending.has(id)) {
      const seen = Atomics.load(live.ctl, CTL_RESULTS);
      this.drain(live);
      if (!live.pending.has(id)) return;
      if (first) {
        first = false;
        // Poll a few µs (a no-op call returns in ~10), then a short futex wait.
        const until = performance.now() + SPIN_MS;
        while (Atomics.load(live.ctl, CTL_RESULTS) === seen && performance.now() < until);
        if (Atomics.load(live.ctl, CTL_RESULTS) === seen)
          Atomics.wait(live.ctl, CTL_RESULTS, seen, SYNC_WAIT_MS);
        continue;
      }
      const w = waitAsync(live.ctl, CTL_RESULTS, seen, 100);
      if (w.async) await w.value;
    }
  }

  /** False after a timeout, trap or limit ended the worker (the next call would start a new one). */
  get alive(): boolean {
    return this.live !== undefined;
  }

  hasExport(fn: string): boolean {
    return this.exports.includes(fn);
  }

  /**
   * Call an export; resolves with its output bytes (null = no output) or throws a DativoError.
   * `transfer: true` hands `input`'s buffer to the worker (it is detached here afterwards).
   */
  async call(fn: string, input?: Uint8Array, opts: { transfer?: boolean } = {}): Promise<Uint8Array | null> {
    const hooks = this.opts.hooks;
    if (!hooks) return this.callUnobserved(fn, input, opts);
    const call = { plugin: this.plugin, fn, stats: () => this.lastStats };
    return hooks.around(call, () => this.callUnobserved(fn, input, opts));
  }

  private async callUnobserved(
    fn: string,
    input: Uint8Array | undefined,
    opts: { transfer?: boolean },
  ): Promise<Uint8Array | null> {
    this.throwIfInterrupted(fn);
    const live = await this.ensureLive();
    const id = this.nextId++;
    const { timeoutMs } = this.opts.grant;
    let timer: NodeJS.Timeout | undefined;
    const abort = new AbortController();
    this.callAbort = abort;
    const run = this.opts.signal;
    let onInterrupt: (() => void) | undefined;
    const result = await new Promise<CallResult | 'timeout' | 'interrupted'>((resolve, reject) => {
      live.pending.set(id, { resolve, reject });
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      onInterrupt = () => resolve('interrupted');
      run?.addEventListener('abort', onInterrupt, { once: true });
      // Transferring (when the caller hands the bytes over) saves a copy of every batch.
      const whole =
        input &&
        input.byteOffset === 0 &&
        input.byteLength === input.buffer.byteLength &&
        input.buffer instanceof ArrayBuffer;
      live.callPort.postMessage(
        { type: 'call', id, fn, input },
        opts.transfer && whole ? [input.buffer as ArrayBuffer] : [],
      );
      Atomics.add(live.ctl, CTL_CALLS, 1);
      Atomics.notify(live.ctl, CTL_CALLS);
      void this.awaitResult(live, id);
    }).finally(() => {
      clearTimeout(timer);
      if (onInterrupt) run?.removeEventListener('abort', onInterrupt);
      // Whatever ended the call, what it started on the host (HTTP, retries, waits) ends too.
      abort.abort();
      if (this.callAbort === abort) this.callAbort = undefined;
    });

    if (result === 'interrupted') {
      live.pending.delete(id);
      await this.discard(live);
      throw this.interrupted(fn);
    }
    if (result === 'timeout') {
      live.pending.delete(id);
      await this.discard(live);
      const message = `plugin ${this.plugin}: call ${fn} exceeded the ${timeoutMs} ms time limit (capability timeout, resource ${fn}); the instance was terminated`;
      auditDenial(this.opts.logger, { plugin: this.plugin, capability: 'timeout', resource: fn, message });
      throw this.error('PLUGIN_ERROR', message, { call: fn, capability: 'timeout', resource: fn });
    }
    this.outputUsed = result.stats.outputBytes;
    this.logBytes = result.stats.logBytes;
    this.workerDropped = { lines: result.stats.logsDropped, bytes: result.stats.logBytesDropped };
    this.lastStats = result.stats;
    if (result.ok) {
      this.goodState = result.state;
      return result.output;
    }
    const { error, kind } = result;
    if (kind !== 'plugin') await this.discard(live);
    if (kind === 'denied' || kind === 'limit') {
      const d: Denial | undefined = result.denial;
      // Denials from host functions were audited as they happened; limits are audited here.
      if (kind === 'limit')
        auditDenial(
          this.opts.logger,
          d ?? { plugin: this.plugin, capability: 'memory', resource: fn, message: error.message },
        );
      throw this.error('PLUGIN_DENIED', `${error.message} (in call ${fn})`, {
        call: fn,
        ...(d ? { capability: d.capability, resource: d.resource } : {}),
      });
    }
    if (kind === 'plugin') {
      throw this.error(
        'PLUGIN_ERROR',
        `plugin ${this.plugin}: ${fn} failed: [${error.code}] ${error.message}`,
        { call: fn, pluginCode: error.code },
        error.retryable,
      );
    }
    throw this.error('PLUGIN_ERROR', `${error.message}; the instance was terminated (call ${fn})`, {
      call: fn,
      kind,
    });
  }

  private throwIfInterrupted(fn: string): void {
    if (this.opts.signal?.aborted) throw this.interrupted(fn);
  }

  private interrupted(fn: string): DativoError {
    const reason: unknown = this.opts.signal?.reason;
    const why = reason instanceof Error ? reason.message : 'interrupted';
    return new DativoError('INTERRUPTED', `plugin ${this.plugin}: call ${fn} stopped: ${why}`, {
      location: { plugin: this.plugin },
      details: { call: fn },
    });
  }

  /** One line for the whole run, however many calls dropped how many log lines. */
  private reportDropped(): void {
    this.bankDropped();
    const { lines, bytes } = this.dropped;
    if (lines === 0) return;
    this.dropped.lines = 0;
    this.dropped.bytes = 0;
    try {
      this.opts.logger?.warn(
        { plugin: this.plugin, event_type: 'plugin_logs_dropped', lines, bytes },
        `plugin ${this.plugin}: ${lines} log line(s), ${bytes} bytes, dropped: above ${MAX_LOG_LINES_PER_CALL} lines in one call ` +
          `or the run's ${this.opts.grant.logBytes} bytes (log_mb)`,
      );
    } catch {
      // a broken logger must not take the host down
    }
  }

  async close(): Promise<void> {
    this.callAbort?.abort();
    this.reportDropped();
    const live = this.live;
    this.live = undefined;
    const early = this.early;
    this.early = undefined;
    if (early) await early.worker.terminate();
    if (live) await live.worker.terminate();
  }
}
