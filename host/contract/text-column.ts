/**
 * A read-only view of a text column as offsets + bytes + validity, the shape the CSV source
 * produces. Coercers parse straight from these bytes. Typed input columns (databases, plugins) are
 * turned into this shape by printing their values, so there is one parser per contract type.
 */
import { type Data, type DataType, makeData, makeVector, Type, Utf8 } from 'apache-arrow';
import { civilFromDays } from './parse/temporal.js';

export interface TextColumn {
  length: number;
  /** Value i spans bytes[offsets[i] .. offsets[i + 1]) (Arrow JS pre-slices offsets when slicing). */
  offsets: Int32Array;
  bytes: Uint8Array;
  /** Validity bitmap (bit validityOffset + i), or null when no value is null. */
  validity: Uint8Array | null;
  /** Arrow JS `Data.offset`: after a slice it applies to the validity bitmap only. */
  validityOffset: number;
}

export function isNull(col: TextColumn, i: number): boolean {
  const v = col.validity;
  if (v === null) return false;
  const k = col.validityOffset + i;
  return ((v[k >> 3] as number) & (1 << (k & 7))) === 0;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function cellText(col: TextColumn, i: number): string | null {
  if (isNull(col, i)) return null;
  return decoder.decode(col.bytes.subarray(col.offsets[i] as number, col.offsets[i + 1] as number));
}

/** An all-null column of `length` rows (a contract column absent from the input). */
export function nullTextColumn(length: number): TextColumn {
  return {
    length,
    offsets: new Int32Array(length + 1),
    bytes: new Uint8Array(0),
    validity: new Uint8Array((length + 7) >> 3),
    validityOffset: 0,
  };
}

/** A view of any Arrow column as text: Utf8 directly, everything else printed value by value. */
export function toTextColumn(data: Data): TextColumn {
  if (data.typeId === Type.Utf8) {
    return {
      length: data.length,
      offsets: data.valueOffsets as Int32Array,
      bytes: data.values as Uint8Array,
      validity: data.nullCount === 0 ? null : (data.nullBitmap ?? null),
      validityOffset: data.offset,
    };
  }
  return fromStrings(printValues(data));
}

export function fromStrings(values: (string | null)[]): TextColumn {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  const validity = new Uint8Array((n + 7) >> 3);
  const parts: Uint8Array[] = [];
  let pos = 0;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      nulls++;
    } else {
      validity[i >> 3] = (validity[i >> 3] as number) | (1 << (i & 7));
      const bytes = encoder.encode(v);
      parts.push(bytes);
      pos += bytes.length;
    }
    offsets[i + 1] = pos;
  }
  const bytes = new Uint8Array(pos);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { length: n, offsets, bytes, validity: nulls === 0 ? null : validity, validityOffset: 0 };
}

/** A text column as an output utf8 column with offset 0 (bytes shared, validity re-based). */
export function textToUtf8(col: TextColumn): Data {
  let validity: Uint8Array | undefined;
  if (col.validity !== null) {
    validity = col.validity;
    if (col.validityOffset !== 0) {
      validity = new Uint8Array((col.length + 7) >> 3);
      for (let i = 0; i < col.length; i++) {
        const k = col.validityOffset + i;
        if (((col.validity[k >> 3] as number) & (1 << (k & 7))) !== 0)
          validity[i >> 3] = (validity[i >> 3] as number) | (1 << (i & 7));
      }
    }
  }
  return makeData({
    type: new Utf8(),
    length: col.length,
    nullCount: validity === undefined ? 0 : -1,
    nullBitmap: validity,
    valueOffsets: col.offsets.subarray(0, col.length + 1),
    data: col.bytes,
  });
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

function dateText(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}`;
}

/** Micros since the epoch as ISO text with six fractional digits. */
export function timestampText(micros: bigint, zoned: boolean): string {
  const day = micros >= 0n ? micros / 86_400_000_000n : -((-micros + 86_399_999_999n) / 86_400_000_000n);
  const rest = Number(micros - day * 86_400_000_000n);
  const secs = Math.floor(rest / 1_000_000);
  const frac = String(rest % 1_000_000).padStart(6, '0');
  const hh = Math.floor(secs / 3600);
  const mi = Math.floor((secs % 3600) / 60);
  return `${dateText(Number(day))}T${pad2(hh)}:${pad2(mi)}:${pad2(secs % 60)}.${frac}${zoned ? 'Z' : ''}`;
}

const MICROS_PER_UNIT = [1_000_000n, 1000n, 1n, 0n]; // SECOND, MILLISECOND, MICROSECOND, NANOSECOND

function printValues(data: Data): (string | null)[] {
  const out: (string | null)[] = new Array(data.length);
  const type = data.type as DataType & { unit?: number; timezone?: string | null; scale?: number };
  const raw = data.values as ArrayLike<number | bigint>;
  const vector = makeVector(data);
  for (let i = 0; i < data.length; i++) {
    if (!data.getValid(i)) {
      out[i] = null;
      continue;
    }
    // Fixed-width value buffers are pre-sliced by Arrow JS; only validity uses data.offset.
    switch (data.typeId) {
      case Type.Timestamp: {
        const v = BigInt(raw[i] as bigint);
        const unit = type.unit ?? 2;
        const micros = unit === 3 ? v / 1000n : v * (MICROS_PER_UNIT[unit] as bigint);
        out[i] = timestampText(micros, type.timezone != null && type.timezone !== '');
        break;
      }
      case Type.Date: {
        // DateDay stores days (Int32Array); DateMillisecond stores ms (BigInt64Array).
        const v = raw[i] as number | bigint;
        out[i] = dateText(typeof v === 'bigint' ? Number(v / 86_400_000n) : v);
        break;
      }
      default:
        out[i] = printOne(vector.get(i), type.scale);
    }
  }
  return out;
}

function printOne(v: unknown, scale: number | undefined): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint32Array && scale !== undefined) return decimalText(String(v), scale);
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
}

/** An unscaled integer's text with the decimal point put back. */
function decimalText(unscaled: string, scale: number): string {
  if (scale <= 0) return unscaled;
  const neg = unscaled.startsWith('-');
  const digits = (neg ? unscaled.slice(1) : unscaled).padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}
