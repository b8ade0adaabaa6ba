/**
 * Iceberg values in their internal form (spec: int/date → number, long/time/timestamp micros and
 * decimal unscaled → bigint, string, boolean, binary/uuid → bytes), read straight from Arrow
 * buffers so microseconds and 128-bit decimals stay exact (Vector.get rounds both), and their
 * single-value binary serialization (spec appendix D) used for bounds and partition summaries.
 */
import { type Data, Type } from 'apache-arrow';

export type IcebergValue = number | bigint | string | boolean | Uint8Array;

/** Iceberg primitive type name of an Arrow type, or undefined when Iceberg has none. */
export function icebergTypeOfArrow(t: Data['type']): string | undefined {
  switch (t.typeId) {
    case Type.Int: {
      const it = t as unknown as { bitWidth: number; isSigned: boolean };
      if (it.bitWidth === 64) return 'long';
      return it.bitWidth === 32 && it.isSigned ? 'int' : it.bitWidth < 32 ? 'int' : undefined;
    }
    case Type.Float: {
      const p = (t as unknown as { precision: number }).precision;
      return p === 2 ? 'double' : 'float';
    }
    case Type.Bool:
      return 'boolean';
    case Type.Utf8:
    case Type.LargeUtf8:
      return 'string';
    case Type.Binary:
    case Type.LargeBinary:
      return 'binary';
    case Type.Date:
      return (t as unknown as { unit: number }).unit === 0 ? 'date' : undefined;
    case Type.Timestamp: {
      const ts = t as unknown as { unit: number; timezone: string | null };
      if (ts.unit !== 2) return undefined; // microseconds only (architecture §4)
      return ts.timezone ? 'timestamptz' : 'timestamp';
    }
    case Type.Decimal: {
      const d = t as unknown as { precision: number; scale: number; bitWidth: number };
      return d.bitWidth === 128 && d.precision <= 38 ? `decimal(${d.precision}, ${d.scale})` : undefined;
    }
    default:
      return undefined;
  }
}

/** A reader of row `i` of a column as an Iceberg internal value (null for nulls). */
export function columnReader(d: Data): (i: number) => IcebergValue | null {
  const valid = d.nullCount > 0 ? (i: number) => d.getValid(i) : () => true;
  const t = d.type;
  const vals = d.values as unknown;
  let get: (i: number) => IcebergValue;
  switch (t.typeId) {
    case Type.Int: {
      const a = vals as ArrayLike<number | bigint>;
      get = (i) => a[i] as number | bigint;
      break;
    }
    case Type.Float:
    case Type.Date: {
      const a = vals as ArrayLike<number>;
      get = (i) => a[i] as number;
      break;
    }
    case Type.Timestamp: {
      const a = vals as BigInt64Array;
      get = (i) => a[i] as bigint;
      break;
    }
    case Type.Bool: {
      const a = vals as Uint8Array;
      get = (i) => {
        const p = d.offset + i;
        return ((a[p >> 3] as number) & (1 << (p & 7))) !== 0;
      };
      break;
    }
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Binary:
    case Type.LargeBinary: {
      const offs = d.valueOffsets as Int32Array | BigInt64Array;
      const bytes = vals as Uint8Array;
      const text = t.typeId === Type.Utf8 || t.typeId === Type.LargeUtf8;
      const dec = new TextDecoder();
      get = (i) => {
        const b = bytes.subarray(Number(offs[i]), Number(offs[i + 1]));
        return text ? dec.decode(b) : b.slice();
      };
      break;
    }
    case Type.Decimal: {
      const a = vals as Uint32Array;
      get = (i) => {
        let v = 0n;
        for (let w = 3; w >= 0; w--) v = (v << 32n) | BigInt(a[i * 4 + w] as number);
        return BigInt.asIntN(128, v);
      };
      break;
    }
    default:
      throw new Error(`no Iceberg value for Arrow type ${String(t)}`);
  }
  return (i) => (valid(i) ? get(i) : null);
}

/** Spec appendix D: single-value serialization of `v` of Iceberg type `type`. */
export function toBinary(type: string, v: IcebergValue): Uint8Array {
  const le = (n: number) => new DataView(new ArrayBuffer(n));
  switch (baseType(type)) {
    case 'boolean':
      return new Uint8Array([v ? 1 : 0]);
    case 'int':
    case 'date': {
      const b = le(4);
      b.setInt32(0, Number(v), true);
      return new Uint8Array(b.buffer);
    }
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns': {
      const b = le(8);
      b.setBigInt64(0, BigInt(v as number | bigint), true);
      return new Uint8Array(b.buffer);
    }
    case 'float': {
      const b = le(4);
      b.setFloat32(0, Number(v), true);
      return new Uint8Array(b.buffer);
    }
    case 'double': {
      const b = le(8);
      b.setFloat64(0, Number(v), true);
      return new Uint8Array(b.buffer);
    }
    case 'string':
      return new TextEncoder().encode(String(v));
    case 'decimal':
      return twosComplementBE(BigInt(v as number | bigint));
    default:
      if (v instanceof Uint8Array) return v;
      throw new Error(`cannot serialize a value of type ${type}`);
  }
}

/** `decimal(10, 2)` → `decimal`; other names unchanged. */
export function baseType(type: string): string {
  const p = type.indexOf('(');
  const b = p < 0 ? type : type.slice(0, p);
  return b.startsWith('fixed[') ? 'fixed' : b;
}

/** Minimal big-endian two's complement bytes of `n` (decimal serialization, bucket hashing). */
export function twosComplementBE(n: bigint): Uint8Array {
  const out: number[] = [];
  let x = n;
  for (;;) {
    const byte = Number(x & 0xffn);
    out.unshift(byte);
    x >>= 8n;
    // Done once the remaining bits are all sign bits and the top byte carries the right sign.
    if ((x === 0n && (byte & 0x80) === 0) || (x === -1n && (byte & 0x80) !== 0)) break;
  }
  return new Uint8Array(out);
}

/** `decimal(P, S)` → [P, S]. */
export function decimalParams(type: string): [number, number] {
  const m = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(type);
  if (!m) throw new Error(`not a decimal type: ${type}`);
  return [Number(m[1]), Number(m[2])];
}

/** Order of internal values of one type (strings by code point, bytes unsigned lexicographic). */
export function compareValues(a: IcebergValue, b: IcebergValue): number {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  if (typeof a === 'string' && typeof b === 'string') {
    // UTF-8 byte order equals code point order; UTF-16 `<` does not for astral characters.
    return Buffer.compare(Buffer.from(a), Buffer.from(b));
  }
  if (typeof a === 'boolean') return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}
