/**
 * A lean Arrow IPC stream encoder: schema message, one record batch, end-of-stream marker, which
 * is exactly the framing the host requires of a batch (no dictionaries, no compression). Built for
 * a component: apache-arrow's writer adds hundreds of KB to the bundle and runs slowly in
 * SpiderMonkey without a JIT, while this writes each column's buffers straight into typed arrays.
 * Types: int32, int64, float64, bool, utf8, date32 (days), timestamp (any unit, optional zone),
 * each nullable through a validity bitmap written only when the column has a null.
 */
import { bool, type FbObject, finish, i16, i32, i64, str, table, u8 } from './flatbuffers.js';

export type TimeUnit = 's' | 'ms' | 'us' | 'ns';

export type ColumnType =
  | { id: 'int32' | 'int64' | 'float64' | 'bool' | 'utf8' | 'date32' }
  | { id: 'timestamp'; unit: TimeUnit; timezone?: string };

export interface EncodedColumn {
  type: ColumnType;
  /**
   * int64 and timestamp: number or bigint (timestamps already in `unit`); others: their JS type.
   * A typed array of the column's own width (Int32Array for int32/date32, Float64Array for
   * float64, BigInt64Array for int64/timestamp) is copied in one native call: per-value loops are
   * slow in a component (SpiderMonkey without a JIT), so this is the fast path for numbers.
   */
  values: readonly unknown[] | Int32Array | Float64Array | BigInt64Array;
}

/** Where the output goes: a fresh buffer by default (ipcBatch reuses one, see arrow.ts). */
export type Allocate = (bytes: number) => Uint8Array;

// Arrow's schema enums (format/Schema.fbs, Message.fbs).
const V5 = 4;
const HEADER_SCHEMA = 1;
const HEADER_RECORD_BATCH = 3;
const TYPE = { Int: 2, FloatingPoint: 3, Utf8: 5, Bool: 6, Date: 8, Timestamp: 10 } as const;
const UNIT: Record<TimeUnit, number> = { s: 0, ms: 1, us: 2, ns: 3 };
const enc = new TextEncoder();

function typeOf(t: ColumnType): [number, FbObject] {
  switch (t.id) {
    case 'int32':
      return [TYPE.Int, table(i32(32), bool(true))];
    case 'int64':
      return [TYPE.Int, table(i32(64), bool(true))];
    case 'float64':
      return [TYPE.FloatingPoint, table(i16(2))];
    case 'bool':
      return [TYPE.Bool, table()];
    case 'utf8':
      return [TYPE.Utf8, table()];
    case 'date32':
      return [TYPE.Date, table(i16(0))];
    case 'timestamp':
      return [TYPE.Timestamp, table(i16(UNIT[t.unit]), t.timezone ? str(t.timezone) : undefined)];
  }
}

const isNull = (x: unknown) => x === null || x === undefined;
const pad8 = (n: number) => (n + 7) & ~7;
const TWO32 = 4294967296;

/**
 * One column's buffers, sized first and written later straight into the output: a batch is
 * allocated once (plus the strings' UTF-8), which keeps a component's garbage per batch small.
 */
interface Planned {
  lengths: number[];
  write(out: Uint8Array, at: number[]): void;
}

function writeBits(out: Uint8Array, at: number, n: number, bit: (i: number) => boolean): void {
  for (let i = 0; i < n; i++) if (bit(i)) out[at + (i >> 3)] = (out[at + (i >> 3)] ?? 0) | (1 << (i & 7));
}

/** 64-bit integers without a BigInt per value (numbers must be safe integers). */
function writeInt64(out: Uint8Array, at: number, v: readonly unknown[]): void {
  const words = new Int32Array(out.buffer, out.byteOffset + at, v.length * 2);
  const big = new BigInt64Array(out.buffer, out.byteOffset + at, v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x === 'bigint') big[i] = x;
    else if (!isNull(x)) {
      const n = Number(x);
      const hi = Math.floor(n / TWO32);
      words[2 * i] = n - hi * TWO32;
      words[2 * i + 1] = hi;
    }
  }
}

function planUtf8(v: readonly unknown[]): Planned {
  const n = v.length;
  const strs = v.map((x) => (isNull(x) ? '' : String(x)));
  const joined = strs.join('');
  // ASCII (the common case): byte lengths are string lengths, and one encode covers the column.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
  const ascii = /^[\x00-\x7f]*$/.test(joined);
  const parts = ascii ? [] : strs.map((x) => enc.encode(x));
  const size = ascii ? joined.length : parts.reduce((t, p) => t + p.length, 0);
  return {
    lengths: [4 * (n + 1), size],
    write(out, [offsetsAt, dataAt]) {
      const offsets = new Int32Array(out.buffer, out.byteOffset + (offsetsAt as number), n + 1);
      let o = 0;
      for (let i = 0; i < n; i++) {
        o += ascii ? (strs[i] as string).length : (parts[i] as Uint8Array).length;
        offsets[i + 1] = o;
      }
      const data = out.subarray(dataAt as number, (dataAt as number) + size);
      if (ascii) enc.encodeInto(joined, data);
      else parts.forEach((p, i) => data.set(p, offsets[i]));
    },
  };
}

/** The value buffers (after validity) of one column; nulls stay zeros. */
type Typed = Int32Array | Float64Array | BigInt64Array;
const WIDE: Record<string, new (b: ArrayBuffer, at: number, n: number) => Typed> = {
  int32: Int32Array,
  date32: Int32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  timestamp: BigInt64Array,
};

/** A typed array of the column's width: copied whole. */
function planTyped(c: EncodedColumn): Planned | undefined {
  const Ctor = WIDE[c.type.id];
  const v = c.values;
  if (!Ctor || !(v instanceof Ctor)) return undefined;
  return {
    lengths: [v.byteLength],
    write(out, [at]) {
      out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), at as number);
    },
  };
}

function planValues(c: EncodedColumn): Planned {
  const typed = planTyped(c);
  if (typed) return typed;
  const v = c.values as readonly unknown[];
  const n = v.length;
  switch (c.type.id) {
    case 'int32':
    case 'date32':
      return {
        lengths: [4 * n],
        write(out, [at]) {
          const a = new Int32Array(out.buffer, out.byteOffset + (at as number), n);
          for (let i = 0; i < n; i++) if (!isNull(v[i])) a[i] = Number(v[i]);
        },
      };
    case 'float64':
      return {
        lengths: [8 * n],
        write(out, [at]) {
          const a = new Float64Array(out.buffer, out.byteOffset + (at as number), n);
          for (let i = 0; i < n; i++) if (!isNull(v[i])) a[i] = Number(v[i]);
        },
      };
    case 'int64':
    case 'timestamp':
      return { lengths: [8 * n], write: (out, [at]) => writeInt64(out, at as number, v) };
    case 'bool':
      return { lengths: [(n + 7) >> 3], write: (out, [at]) => writeBits(out, at as number, n, (i) => v[i] === true) };
    case 'utf8':
      return planUtf8(v);
  }
}

/** Continuation marker and metadata length, written before each message's metadata. */
function writePrefix(view: DataView, at: number, metadataLength: number): void {
  view.setUint32(at, 0xffffffff, true);
  view.setInt32(at + 4, metadataLength, true);
}

/** One Arrow IPC stream with one record batch of the columns (all the same length). */
export function encodeIpcBatch(
  columns: Record<string, EncodedColumn>,
  allocate: Allocate = (n) => new Uint8Array(n),
): Uint8Array {
  const entries = Object.entries(columns);
  const length = entries[0]?.[1].values.length ?? 0;
  const fields: FbObject[] = [];
  const nodes: number[][] = [];
  const buffers: number[][] = [];
  const writes: (() => void)[] = [];
  let bodyLength = 0;
  const place = (len: number) => {
    buffers.push([bodyLength, len]);
    const at = bodyLength;
    bodyLength += pad8(len);
    return at;
  };
  let out: Uint8Array = new Uint8Array(0);
  let body = 0;
  for (const [name, c] of entries) {
    if (c.values.length !== length) {
      throw new RangeError(`column ${name} has ${c.values.length} values, the first column ${length}`);
    }
    const [typeId, type] = typeOf(c.type);
    fields.push(table(str(name), bool(true), u8(typeId), type, undefined, { t: 'tables', v: [] }));
    let nulls = 0;
    if (Array.isArray(c.values)) for (let i = 0; i < length; i++) if (isNull(c.values[i])) nulls++;
    nodes.push([length, nulls]);
    const validity = place(nulls === 0 ? 0 : (length + 7) >> 3);
    const plan = planValues(c);
    const at = plan.lengths.map(place);
    writes.push(() => {
      const v = c.values as readonly unknown[];
      if (nulls > 0) writeBits(out, body + validity, length, (i) => !isNull(v[i]));
      plan.write(
        out,
        at.map((a) => body + a),
      );
    });
  }
  const schema = finish(
    table(i16(V5), u8(HEADER_SCHEMA), table(i16(0), { t: 'tables', v: fields }), i64(0)),
  );
  const batch = finish(
    table(
      i16(V5),
      u8(HEADER_RECORD_BATCH),
      table(i64(length), { t: 'structs64', v: nodes }, { t: 'structs64', v: buffers }),
      i64(bodyLength),
    ),
  );
  // schema message, batch message and body, end-of-stream marker: every part a multiple of 8.
  const batchAt = 8 + schema.length;
  body = batchAt + 8 + batch.length;
  out = allocate(body + bodyLength + 8);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  writePrefix(view, 0, schema.length);
  out.set(schema, 8);
  writePrefix(view, batchAt, batch.length);
  out.set(batch, batchAt + 8);
  for (const w of writes) w();
  writePrefix(view, body + bodyLength, 0);
  return out;
}
