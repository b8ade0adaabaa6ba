/**
 * One plugin instance, in its own Worker: @extism/extism 1.0.3 in foreground mode (host functions
 * synchronous, batches copied straight into linear memory). The host thread kills this worker to
 * enforce the per-call timeout, so nothing here needs to be interruptible.
 */
import createPlugin from '@extism/extism';
import { createInputFiles } from '../input-files.js';
import { Wasm, type WasmMemory } from '../wasm-api.js';
import { blockingHttp, runCall, WorkerChannel } from '../worker-channel.js';
import { HostLimitError, KernelBudget } from './budget.js';
import { buildHostFunctions, type HostEnv, type HostState, newHostState } from './host-functions.js';
import type { CallMessage, FailureKind, InitMessage, PluginErrorInfo, ToWorker } from './protocol.js';

type Plugin = Awaited<ReturnType<typeof createPlugin>>;
/**
 * The module's name inside Extism, so calls can name [module, export] and skip its per-call export
 * scan. Extism names a module handed over on its own (not in a manifest object) "0"; handing it
 * over on its own also skips Extism's check whether the manifest is a fetch `Response`, whose
 * first use loads undici (~20 ms of every start).
 */
const MAIN = '0';
const MAX_ERROR_CHARS = 4096;

const channel = WorkerChannel.ofThisThread('plugin worker');

let plugin: Plugin | undefined;
let env: HostEnv | undefined;
let st: HostState | undefined;
let queue: Promise<void> = Promise.resolve();

function exactCopy(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer
    ? b
    : b.slice();
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
    emitLog: (level, message) => channel.post({ type: 'log', level, message }),
    emitDenied: (denial) => channel.post({ type: 'denied', denial }),
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
    channel.post({ type: 'ready', exports });
    channel.serve(msg.callPort, msg.ctl, call);
    return;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // A missing import module is a TypeError ("Import #0 module=..."), a missing function a LinkError.
    const link = e instanceof Wasm.LinkError || /Import #\d+/.test(message);
    channel.post({
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

async function call(msg: CallMessage): Promise<void> {
  const p = plugin;
  const e = env;
  const s = st;
  if (!p || !e || !s) return;
  const result = await runCall(msg, e, s, {
    async invoke() {
      const input = msg.input ? exactCopy(msg.input) : undefined;
      const output = await p.call([MAIN, msg.fn] as unknown as string, input);
      // The output block's own buffer goes to the host thread as is (transferred); the kernel
      // forgets the block at reset, so nothing here touches it again.
      const view = output as unknown as DataView | null;
      const bytes = view
        ? new Uint8Array(view.buffer as ArrayBuffer, view.byteOffset, view.byteLength)
        : null;
      // output_bytes wins over a kernel output block.
      return s.outputCopy ?? bytes;
    },
    classify,
    // Every kernel block of this call (input, output, guest allocations) goes; vars are ours.
    cleanup: () => p.reset().then(() => undefined),
  });
  channel.postResult(result);
}

channel.onMessage((msg: ToWorker) => {
  // Only `init` comes this way; calls come on the call channel (serve), one at a time, in order.
  if (msg.type === 'init') queue = queue.then(() => init(msg));
  else queue = queue.then(() => call(msg));
});
