/**
 * Reading a wasm module's bytes before anything instantiates (or even compiles) it: the ABI
 * version custom section, the imports and the declared memory limits. The binary format is simple
 * (magic, version, then sections: id byte, LEB128 size, payload), so we parse it ourselves rather
 * than trust a compiler's view of an untrusted file.
 */

export const ABI_SECTION = 'dativo_abi';
const WASM_PAGE = 65536;

export interface WasmImport {
  module: string;
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
}

export interface WasmMemory {
  /** In 64 KiB pages. */
  min: number;
  max?: number;
  shared: boolean;
  memory64: boolean;
  imported: boolean;
}

export interface WasmModuleInfo {
  customSections: Map<string, Uint8Array[]>;
  imports: WasmImport[];
  memories: WasmMemory[];
  exports: string[];
}

export class WasmFormatError extends Error {}

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  byte(): number {
    const b = this.bytes[this.pos];
    if (b === undefined) throw new WasmFormatError(`unexpected end of module at byte ${this.pos}`);
    this.pos++;
    return b;
  }

  /** Unsigned LEB128 up to 2^53 (sizes and counts are u32; memory64 limits are u64). */
  u(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new WasmFormatError(`LEB128 too long at byte ${this.pos}`);
  }

  name(): string {
    const n = this.u();
    const s = this.take(n);
    return new TextDecoder('utf-8', { fatal: true }).decode(s);
  }

  take(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length)
      throw new WasmFormatError(`section runs past the end of the module`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  limits(imported: boolean): WasmMemory {
    const flags = this.byte();
    if (flags > 0x07) throw new WasmFormatError(`unknown memory limits flags 0x${flags.toString(16)}`);
    const min = this.u();
    const max = flags & 0x01 ? this.u() : undefined;
    const mem: WasmMemory = { min, shared: (flags & 0x02) !== 0, memory64: (flags & 0x04) !== 0, imported };
    if (max !== undefined) mem.max = max;
    return mem;
  }
}

const KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const;

function skipTableType(r: Reader): void {
  r.byte(); // reftype
  const flags = r.byte();
  r.u();
  if (flags & 0x01) r.u();
}

export function parseWasmModule(bytes: Uint8Array): WasmModuleInfo {
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new WasmFormatError('not a WebAssembly module (bad magic)');
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw new WasmFormatError(
      'not a core WebAssembly module (version is not 1; a WIT component needs the component runtime)',
    );
  }
  const info: WasmModuleInfo = { customSections: new Map(), imports: [], memories: [], exports: [] };
  const r = new Reader(bytes);
  r.pos = 8;
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u();
    const payload = r.take(size);
    const s = new Reader(payload);
    if (id === 0) {
      const name = s.name();
      const list = info.customSections.get(name) ?? [];
      list.push(payload.subarray(s.pos));
      info.customSections.set(name, list);
    } else if (id === 2) {
      const count = s.u();
      for (let i = 0; i < count; i++) {
        const module = s.name();
        const name = s.name();
        const kindByte = s.byte();
        const kind = KINDS[kindByte];
        if (!kind) throw new WasmFormatError(`unknown import kind ${kindByte}`);
        info.imports.push({ module, name, kind });
        if (kindByte === 0) s.u();
        else if (kindByte === 1) skipTableType(s);
        else if (kindByte === 2) info.memories.push(s.limits(true));
        else if (kindByte === 3) {
          s.byte();
          s.byte();
        } else {
          s.byte();
          s.u();
        }
      }
    } else if (id === 5) {
      const count = s.u();
      for (let i = 0; i < count; i++) info.memories.push(s.limits(false));
    } else if (id === 7) {
      const count = s.u();
      for (let i = 0; i < count; i++) {
        const name = s.name();
        const kind = s.byte();
        s.u();
        if (kind === 0) info.exports.push(name);
      }
    }
  }
  return info;
}

/** The `dativo_abi` custom section as text (e.g. "1.0"), or undefined when absent. */
export function readAbiVersion(info: WasmModuleInfo): string | undefined {
  const sections = info.customSections.get(ABI_SECTION);
  if (!sections || sections.length === 0) return undefined;
  // Several copies (linkers concatenate same-named sections) must agree.
  const texts = new Set(sections.map((b) => new TextDecoder().decode(b).replace(/\0+$/, '').trim()));
  return texts.size === 1 ? [...texts][0] : [...texts].join(' + ');
}

export function pagesToBytes(pages: number): number {
  return pages * WASM_PAGE;
}

/** Unsigned LEB128 encoding (section sizes, counts, limits). */
export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Appends a custom section (how the build stamps `dativo_abi` into a module whose compiler cannot). */
export function appendCustomSection(module: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const body = [...leb(nameBytes.length), ...nameBytes, ...payload];
  const section = Uint8Array.from([0, ...leb(body.length), ...body]);
  const out = new Uint8Array(module.length + section.length);
  out.set(module, 0);
  out.set(section, module.length);
  return out;
}
