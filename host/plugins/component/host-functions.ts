/**
 * The `dativo:plugin/host` interface for a component, as it runs inside the plugin's Worker.
 *
 * Every check (grant, secrets, state size, output limit and names, input files, log masking and
 * caps, denials and their audit lines) is the Extism runtime's own: these functions call
 * `buildHostFunctions` from `../extism/host-functions.ts` through a small in-memory stand-in for
 * Extism's kernel (handles = byte blocks of this call) and a "linear memory" that is the
 * argument's own buffer. So both runtimes refuse the same things with the same words, and a
 * change to a check changes it for both.
 *
 * WIT `result<T, error>` imports: jco turns a thrown non-Error value into `err(value)`, so a
 * failure throws the plain `{code, message, retryable}` record (never an Error, which would trap).
 */
import type { KernelBudget, KernelContext } from '../extism/budget.js';
import { buildHostFunctions, type HostEnv, type HostState } from '../extism/host-functions.js';
import type { PluginErrorInfo } from '../extism/protocol.js';
import { MAX_INPUT_READ } from '../input-files.js';
import type { WasmMemory } from '../wasm-api.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** Kernel blocks of one call, in JS memory, charged to the grant's kernel budget by the caller. */
export class CallBlocks implements KernelContext {
  private blocks = new Map<bigint, Uint8Array>();
  private next = 1n;

  alloc(size: number | bigint): bigint {
    return this.store(new Uint8Array(Number(size)));
  }

  read(addr: bigint): { bytes(): Uint8Array; string(): string; byteLength: number } | null {
    const b = this.blocks.get(addr);
    return b ? { bytes: () => b, string: () => dec.decode(b), byteLength: b.byteLength } : null;
  }

  store(input: Uint8Array | string): bigint {
    const h = this.next++;
    this.blocks.set(h, typeof input === 'string' ? enc.encode(input) : input);
    return h;
  }

  length(addr: bigint): bigint {
    return BigInt(this.blocks.get(addr)?.byteLength ?? 0);
  }

  reset(): void {
    this.blocks.clear();
  }
}

/** The "linear memory" the Extism functions read and write: the buffer of the current argument. */
export class ArgumentMemory implements WasmMemory {
  buffer: ArrayBuffer = new ArrayBuffer(0);

  grow(): number {
    throw new Error('not growable');
  }

  /** Points the memory at `bytes`; returns the ptr/len pair that addresses them. */
  hold(bytes: Uint8Array): [ptr: number, len: number] {
    this.buffer = bytes.buffer as ArrayBuffer;
    return [bytes.byteOffset, bytes.byteLength];
  }
}

export interface OutgoingRequest {
  method: string;
  url: string;
  headers: [string, string][];
}

export interface HttpResponseRecord {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

type ExtismFn = (ctx: KernelContext, ...args: unknown[]) => unknown;

/** `env.memory` must return `memory`, and `env.budget` charges what these functions store. */
export function buildComponentHost(
  env: HostEnv & { budget: KernelBudget },
  st: HostState,
  blocks: CallBlocks,
  memory: ArgumentMemory,
) {
  const fns = buildHostFunctions(env, st).dativo as unknown as Record<string, ExtismFn>;
  const call = (name: string, ...args: unknown[]): unknown => (fns[name] as ExtismFn)(blocks, ...args);
  const h = (s: string): bigint => blocks.store(enc.encode(s));
  const failure = (): PluginErrorInfo =>
    st.lastError ?? { code: 'PLUGIN_ERROR', message: 'the host call failed', retryable: false };
  const bytesOf = (handle: unknown): Uint8Array =>
    blocks.read(handle as bigint)?.bytes() ?? new Uint8Array(0);
  const textOf = (handle: unknown): string => dec.decode(bytesOf(handle));

  return {
    httpRequest(req: OutgoingRequest, body: Uint8Array | undefined): HttpResponseRecord {
      const json = JSON.stringify({
        method: req.method,
        url: req.url,
        headers: Object.fromEntries(req.headers),
      });
      const r = call('http_request', h(json), body ? blocks.store(body) : 0n);
      if (r === 0n) throw failure();
      const last = st.lastHttp;
      return {
        status: last?.status ?? 0,
        headers: Object.entries(last?.headers ?? {}),
        body: bytesOf(r),
      };
    },
    secretGet(name: string): string {
      const r = call('secret_get', h(name));
      if (r === 0n) throw failure();
      return textOf(r);
    },
    log(level: (typeof LEVELS)[number], message: string): void {
      call('log', Math.max(0, LEVELS.indexOf(level)), h(message));
    },
    stateGet(key: string): string | undefined {
      const r = call('state_get', h(key));
      return r === 0n ? undefined : textOf(r);
    },
    stateSet(key: string, value: string): void {
      if (call('state_set', h(key), h(value)) !== 0) throw failure();
    },
    config(): string {
      return textOf(call('config'));
    },
    outputWrite(name: string, bytes: Uint8Array): void {
      const [ptr, len] = memory.hold(bytes);
      if (call('output_write', h(name), ptr, len) !== 0) throw failure();
    },
    inputList(): { name: string; size: bigint }[] {
      const list = JSON.parse(textOf(call('input_list'))) as { name: string; size: number }[];
      return list.map((f) => ({ name: f.name, size: BigInt(f.size) }));
    },
    inputRead(name: string, offset: bigint, len: number): Uint8Array {
      // Above the per-read cap the host refuses before touching memory: nothing to allocate.
      const n = len >>> 0;
      const into = new Uint8Array(n <= MAX_INPUT_READ ? n : 0);
      const [ptr] = memory.hold(into);
      const r = call('input_read', h(name), offset, ptr, n) as bigint;
      if (r < 0n) throw failure();
      return into.subarray(0, Number(r));
    },
  };
}
