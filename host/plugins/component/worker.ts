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
import { TSX_UNREGISTER } from '../../sinks/parquet/spawn-worker.js';
import { HostLimitError, KernelBudget } from '../extism/budget.js';
import { type HostEnv, type HostState, newHostState } from '../extism/host-functions.js';
import type { CallMessage, FailureKind, InitMessage, PluginErrorInfo, ToWorker } from '../extism/protocol.js';
import { createInputFiles } from '../input-files.js';
import { Wasm, type WasmModule } from '../wasm-api.js';
import { blockingHttp, runCall, WorkerChannel } from '../worker-channel.js';
import { instantiateCoreFreeingBatches } from './free-batch.js';
import { ArgumentMemory, buildComponentHost, CallBlocks } from './host-functions.js';
import { wasiImports } from './wasi.js';

/** What the host thread sends as `module` for a component. */
export interface ComponentModules {
  bindings: string;
  cores: Record<string, WasmModule>;
  exports: string[];
}

type Root = Record<string, (...args: unknown[]) => unknown>;

const channel = WorkerChannel.ofThisThread('component worker');

const enc = new TextEncoder();
const dec = new TextDecoder();
let root: Root | undefined;
let env: HostEnv | undefined;
let st: HostState | undefined;
let blocks: CallBlocks | undefined;
let queue: Promise<void> = Promise.resolve();

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

/**
 * Under tsx (tests, benchmarks, a host run from source) its loader would transform the 300 KB
 * bindings on every start: 3-5 s, against 0.15 s plain (measured). They are plain JS and every
 * module this worker needs is loaded by now, so the loader goes first.
 */
async function dropTsxLoader(): Promise<void> {
  const g = globalThis as unknown as Record<symbol, unknown>;
  const key = Symbol.for(TSX_UNREGISTER);
  const unregister = g[key];
  delete g[key];
  if (typeof unregister === 'function') await (unregister as () => Promise<void> | void)();
}

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
    emitLog: (level, message) => channel.post({ type: 'log', level, message }),
    emitDenied: (denial) => channel.post({ type: 'denied', denial }),
  };
  st = newHostState(msg.outputUsed, msg.logBytes);
  blocks = new CallBlocks();
  const host = buildComponentHost(env as HostEnv & { budget: KernelBudget }, st, blocks, memory);
  try {
    await dropTsxLoader();
    const { instantiate } = (await import(pathToFileURL(modules.bindings).href)) as {
      instantiate: (
        get: (name: string) => WasmModule,
        imports: Record<string, unknown>,
        instantiateCore: typeof instantiateCoreFreeingBatches,
      ) => Promise<Root>;
    };
    const wasi = wasiImports((line) => host.log('warn', line));
    root = await instantiate(
      (name) => {
        const m = modules.cores[name];
        if (!m) throw new Error(`core module ${name} is missing from the transpiled component`);
        return m;
      },
      { ...wasi, 'dativo:plugin/host': host, 'dativo:plugin/types': {} },
      instantiateCoreFreeingBatches,
    );
    channel.post({ type: 'ready', exports: modules.exports });
    channel.serve(msg.callPort, msg.ctl, call);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const link = e instanceof Wasm.LinkError;
    channel.post({
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

async function call(msg: CallMessage): Promise<void> {
  const r = root;
  const e = env;
  const s = st;
  const b = blocks;
  if (!r || !e || !s || !b) return;
  const result = await runCall(msg, e, s, {
    invoke() {
      const run = CALLS[msg.fn];
      if (!run) throw new HostLimitError('host', msg.fn, `plugin ${e.grant.plugin}: no such call ${msg.fn}`);
      const output = run(r, msg.input);
      if (output && output.byteLength > e.grant.kernelBytes) {
        throw new HostLimitError(
          'kernel-memory',
          `${output.byteLength} bytes`,
          `plugin ${e.grant.plugin}: output of ${output.byteLength} bytes is above the ${e.grant.kernelBytes} granted (memory_mb)`,
        );
      }
      return output;
    },
    classify,
    cleanup: () => b.reset(),
  });
  // Components say it per call, beside the result (their behaviour before the shared channel).
  if (s.logsDropped > 0) {
    e.emitLog(
      'warn',
      `plugin ${e.grant.plugin}: ${s.logsDropped} log line(s) dropped (more than 1000 in one call)`,
    );
    s.logsDropped = 0;
  }
  channel.postResult(result);
}

channel.onMessage((msg: ToWorker) => {
  if (msg.type === 'init') queue = queue.then(() => init(msg));
});
