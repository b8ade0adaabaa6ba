/**
 * A minimal FlatBuffers writer, enough for Arrow IPC metadata (ipc-write.ts), so a component does
 * not bundle apache-arrow's writer and the flatbuffers library. It writes top-down: a table first,
 * then the objects it refers to after it, patching each offset once the object's position is known
 * (a uoffset must point forward, which this order guarantees). Every scalar is aligned to its size
 * from the buffer start and the caller places the buffer at an 8-byte boundary.
 */

export type Scalar =
  | { t: 'u8' | 'bool'; v: number | boolean }
  | { t: 'i16'; v: number }
  | { t: 'i32'; v: number }
  | { t: 'i64'; v: number | bigint };

export type FbObject =
  | { t: 'table'; fields: (Scalar | FbObject | undefined)[] }
  | { t: 'string'; v: string }
  | { t: 'tables'; v: FbObject[] }
  /** A vector of structs made of 64-bit integers (Arrow's FieldNode and Buffer). */
  | { t: 'structs64'; v: (number | bigint)[][] };

const SIZE: Record<Scalar['t'], number> = { u8: 1, bool: 1, i16: 2, i32: 4, i64: 8 };
const isScalar = (f: Scalar | FbObject): f is Scalar => f.t in SIZE;
const utf8 = new TextEncoder();

export const table = (...fields: (Scalar | FbObject | undefined)[]): FbObject => ({ t: 'table', fields });
export const u8 = (v: number): Scalar => ({ t: 'u8', v });
export const bool = (v: boolean): Scalar => ({ t: 'bool', v });
export const i16 = (v: number): Scalar => ({ t: 'i16', v });
export const i32 = (v: number): Scalar => ({ t: 'i32', v });
export const i64 = (v: number | bigint): Scalar => ({ t: 'i64', v });
export const str = (v: string): FbObject => ({ t: 'string', v });

class Out {
  buf = new Uint8Array(1024);
  view = new DataView(this.buf.buffer);
  pos = 0;

  reserve(n: number): number {
    if (this.pos + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
      next.set(this.buf);
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  align(n: number, extra = 0): void {
    while ((this.pos + extra) % n !== 0) this.reserve(1);
  }

  scalar(at: number, s: Scalar): void {
    const v = this.view;
    if (s.t === 'u8' || s.t === 'bool') v.setUint8(at, Number(s.v));
    else if (s.t === 'i16') v.setInt16(at, s.v, true);
    else if (s.t === 'i32') v.setInt32(at, s.v, true);
    else v.setBigInt64(at, BigInt(s.v), true);
  }
}

/** Point the uoffset at `from` to the object written next. */
function writeAt(out: Out, from: number, obj: FbObject): void {
  const at = writeObject(out, obj);
  out.view.setUint32(from, at - from, true);
}

function writeTable(out: Out, fields: (Scalar | FbObject | undefined)[]): number {
  // Layout inside the table: the vtable soffset, then fields largest first (each aligned).
  const order = fields
    .map((f, id) => ({ f, id, size: f === undefined ? 0 : isScalar(f) ? SIZE[f.t] : 4 }))
    .filter((x) => x.f !== undefined)
    .sort((a, b) => b.size - a.size);
  const slot = new Array<number>(fields.length).fill(0);
  let cursor = 4;
  for (const x of order) {
    cursor = Math.ceil(cursor / x.size) * x.size;
    slot[x.id] = cursor;
    cursor += x.size;
  }
  const tableSize = Math.ceil(cursor / 4) * 4;
  const vtableSize = 4 + 2 * fields.length;
  // The vtable goes before the table (a signed offset apart); the table starts 8-aligned for its
  // 64-bit fields.
  out.align(2);
  const vt = out.reserve(vtableSize);
  out.align(8);
  const at = out.reserve(tableSize);
  out.view.setUint16(vt, vtableSize, true);
  out.view.setUint16(vt + 2, tableSize, true);
  for (let id = 0; id < fields.length; id++) out.view.setUint16(vt + 4 + 2 * id, slot[id] ?? 0, true);
  out.view.setInt32(at, at - vt, true);
  for (const x of order) {
    const f = x.f as Scalar | FbObject;
    if (isScalar(f)) out.scalar(at + (slot[x.id] ?? 0), f);
  }
  for (const x of order) {
    const f = x.f as Scalar | FbObject;
    if (!isScalar(f)) writeAt(out, at + (slot[x.id] ?? 0), f);
  }
  return at;
}

function writeObject(out: Out, obj: FbObject): number {
  switch (obj.t) {
    case 'table':
      return writeTable(out, obj.fields);
    case 'string': {
      const bytes = utf8.encode(obj.v);
      out.align(4);
      const at = out.reserve(4 + bytes.length + 1);
      out.view.setUint32(at, bytes.length, true);
      out.buf.set(bytes, at + 4);
      return at;
    }
    case 'tables': {
      out.align(4);
      const at = out.reserve(4 + 4 * obj.v.length);
      out.view.setUint32(at, obj.v.length, true);
      obj.v.forEach((t, i) => writeAt(out, at + 4 + 4 * i, t));
      return at;
    }
    case 'structs64': {
      // The elements are 8-aligned, so the length before them sits at 4 mod 8.
      out.align(8, 4);
      const width = obj.v[0]?.length ?? 0;
      const at = out.reserve(4 + 8 * width * obj.v.length);
      out.view.setUint32(at, obj.v.length, true);
      obj.v.forEach((s, i) => {
        s.forEach((n, j) => out.view.setBigInt64(at + 4 + 8 * (i * width + j), BigInt(n), true));
      });
      return at;
    }
  }
}

/** The finished buffer of a root table (its length is a multiple of 8). */
export function finish(root: FbObject): Uint8Array {
  const out = new Out();
  const rootOffset = out.reserve(4);
  writeAt(out, rootOffset, root);
  out.align(8);
  return out.buf.subarray(0, out.pos);
}
