/**
 * The memory limit of a component. componentize-js (StarlingMonkey) declares its linear memory
 * without a maximum, and V8 counts wasm memory outside a Worker's heap limits, so the host writes
 * the grant into the core modules' memory sections before compiling them: V8 then enforces it
 * (a `memory.grow` past it fails, and the guest's allocator traps). Rewriting the limits is safe:
 * lowering a maximum only narrows what the module may do.
 */
import { leb, parseWasmModule, WasmFormatError } from '../wasm-module.js';

const PAGE = 65536;

export class MemoryCapError extends Error {
  constructor(
    message: string,
    readonly declaredBytes: number,
  ) {
    super(message);
  }
}

function readU(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    const b = bytes[pos++];
    if (b === undefined) throw new WasmFormatError('unexpected end of module');
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return [result, pos];
    mul *= 128;
  }
  throw new WasmFormatError('LEB128 too long');
}

function limitsBytes(flags: number, min: number, max: number): number[] {
  return [flags | 0x01, ...leb(min), ...leb(max)];
}

/** A new memory section payload where every memory's maximum is at most `maxPages`. */
function capSection(payload: Uint8Array, maxPages: number): number[] {
  let [count, pos] = readU(payload, 0);
  const out = [...leb(count)];
  for (; count > 0; count--) {
    const flags = payload[pos++] ?? 0;
    if (flags & 0x04) throw new MemoryCapError('64-bit memories are not supported', 0);
    let min: number;
    [min, pos] = readU(payload, pos);
    let max = maxPages;
    if (flags & 0x01) {
      let declared: number;
      [declared, pos] = readU(payload, pos);
      max = Math.min(declared, maxPages);
    }
    if (min > maxPages) {
      throw new MemoryCapError(
        `its memory starts at ${((min * PAGE) / 1048576).toFixed(1)} MiB, above the ${((maxPages * PAGE) / 1048576).toFixed(1)} MiB granted (memory_mb)`,
        min * PAGE,
      );
    }
    out.push(...limitsBytes(flags, min, max));
  }
  return out;
}

/**
 * `core` with every defined memory capped at `maxBytes` (imported memories are capped where they
 * are defined, in another core module of the same component).
 */
export function capCoreMemory(core: Uint8Array, maxBytes: number): Uint8Array {
  parseWasmModule(core); // a well-formed core module, or WasmFormatError
  const maxPages = Math.floor(maxBytes / PAGE);
  const parts: Uint8Array[] = [core.subarray(0, 8)];
  let pos = 8;
  while (pos < core.length) {
    const id = core[pos] as number;
    const [size, start] = readU(core, pos + 1);
    const end = start + size;
    if (id === 5) {
      const body = capSection(core.subarray(start, end), maxPages);
      parts.push(Uint8Array.from([5, ...leb(body.length), ...body]));
    } else parts.push(core.subarray(pos, end));
    pos = end;
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
