/**
 * Workaround for a componentize-js 0.22 leak: the list a component's `next-batch` returns is
 * never freed (its `cabi_post_next-batch` leaves it allocated), so a long read traps on its memory
 * grant after a few dozen 2 MB batches. jco's bindings copy the list out of guest memory and then
 * call the post-return function; we wrap that function so it first hands the list back through
 * the component's own `cabi_realloc` (new size 0 = free), the canonical ABI's post-return pattern.
 *
 * This is done by giving the bindings our `instantiateCore`, which wraps the exports of the core
 * instance that has `cabi_realloc` and a memory; the bindings and the component stay untouched.
 * Only the batch is freed: the small strings of check/discover/commit results and errors are
 * left as they are. Values the host returns to the component (host calls) are the guest's own
 * to free; they appear to stay allocated too, which the host cannot fix (docs/benchmarks.md).
 */
import { Wasm, type WasmInstance, type WasmMemory, type WasmModule } from '../wasm-api.js';

type Realloc = (ptr: number, oldSize: number, align: number, newSize: number) => number;
type PostReturn = (ret: number) => void;

/**
 * `next-batch: func() -> result<option<list<u8>>, error>`, its return area in the canonical ABI:
 * byte 0 = result tag (0 ok), byte 4 = option tag (1 some), then the list's pointer and length.
 */
export function batchInReturnArea(view: DataView, ret: number): { ptr: number; len: number } | undefined {
  if (ret <= 0 || ret + 16 > view.byteLength) return undefined;
  if (view.getUint8(ret) !== 0 || view.getUint8(ret + 4) !== 1) return undefined;
  const ptr = view.getUint32(ret + 8, true);
  const len = view.getUint32(ret + 12, true);
  if (len === 0 || ptr + len > view.byteLength) return undefined;
  return { ptr, len };
}

function freeingPostReturn(post: PostReturn, memory: WasmMemory, realloc: Realloc): PostReturn {
  return (ret) => {
    const batch = batchInReturnArea(new DataView(memory.buffer), ret);
    if (batch) realloc(batch.ptr, batch.len, 1, 0);
    post(ret);
  };
}

/** The bindings' `instantiateCore`, freeing each returned batch of the instance that owns them. */
export async function instantiateCoreFreeingBatches(
  module: WasmModule,
  imports?: Record<string, unknown>,
): Promise<WasmInstance> {
  const instance = await Wasm.instantiate(module, imports);
  const ex = instance.exports;
  const post = ex['cabi_post_next-batch'];
  const realloc = ex.cabi_realloc;
  const memory = ex.memory as WasmMemory | undefined;
  if (typeof post !== 'function' || typeof realloc !== 'function' || !memory) return instance;
  return {
    exports: {
      ...ex,
      'cabi_post_next-batch': freeingPostReturn(post as PostReturn, memory, realloc as Realloc),
    },
  };
}
