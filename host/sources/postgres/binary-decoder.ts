/**
 * Postgres binary COPY → column builders. The stream is a header, then per row an int16 field
 * count and per field an int32 length (-1: NULL) and the value in the type's binary send format,
 * then an int16 -1 trailer. Postgres sends one row per CopyData message, but nothing here relies
 * on that: a row split across messages is stitched together.
 *
 * Epochs: date is days and timestamp µs since 2000-01-01; ±infinity become NULL.
 */

import { DativoError } from '../../errors.js';
import {
  type BoolBuilder,
  type ColumnBuilder,
  type DateBuilder,
  type DecimalBuilder,
  type Float64Builder,
  type Int64Builder,
  type TimestampBuilder,
  Utf8Builder,
} from '../sql/columns.js';
import type { PgColumnPlan } from './types.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const DAYS_1970_TO_2000 = 10957;
const US_1970_TO_2000 = 946_684_800_000_000;
const TWO_32 = 4294967296;

const POW10: number[] = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * A DataView over a Buffer's bytes: its big-endian reads are an order of magnitude faster than
 * Buffer's `readInt32BE` family in Node 20, and the decoder makes ~25 of them per row.
 */
export function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** numeric send format → exact decimal text. */
export function numericText(v: DataView, off: number): string | undefined {
  const ndigits = v.getInt16(off);
  const weight = v.getInt16(off + 2);
  const sign = v.getUint16(off + 4);
  const dscale = v.getUint16(off + 6);
  if (sign === 0xc000 || sign === 0xd000 || sign === 0xf000) return undefined; // NaN, ±Infinity
  const digit = (i: number): number => (i >= 0 && i < ndigits ? v.getInt16(off + 8 + 2 * i) : 0);
  let int = '';
  if (weight < 0) int = '0';
  else
    for (let i = 0; i <= weight; i++) int += i === 0 ? String(digit(i)) : String(digit(i)).padStart(4, '0');
  let frac = '';
  if (dscale > 0) {
    for (let i = weight + 1; frac.length < dscale; i++) frac += String(digit(i)).padStart(4, '0');
    frac = frac.slice(0, dscale);
  }
  const text = frac ? `${int}.${frac}` : int;
  return sign === 0x4000 && /[1-9]/.test(text) ? `-${text}` : text;
}

/**
 * numeric send format → unscaled value as a number when it is small enough to be exact (the common
 * case: no BigInt at all), NaN when only `numericUnscaled` can tell, undefined for NaN/Infinity.
 */
function numericUnscaledSmall(view: DataView, off: number, scale: number): number | undefined {
  const ndigits = view.getInt16(off);
  const sign = view.getUint16(off + 4);
  if (sign === 0xc000 || sign === 0xd000 || sign === 0xf000) return undefined;
  if (ndigits === 0) return 0;
  // value = digits (base 10000) × 10000^(weight − ndigits + 1); unscaled = value × 10^scale.
  const exp10 = 4 * (view.getInt16(off + 2) - ndigits + 1) + scale;
  if (ndigits > 3 || exp10 < -15 || exp10 > 3) return Number.NaN;
  // At most 12 digits scaled by at most 10^3: exact in a double.
  let acc = 0;
  for (let i = 0; i < ndigits; i++) acc = acc * 10000 + view.getInt16(off + 8 + 2 * i);
  if (exp10 >= 0) acc *= POW10[exp10] as number;
  else acc = Math.trunc(acc / (POW10[-exp10] as number));
  return sign === 0x4000 ? -acc : acc;
}

/** numeric send format → unscaled integer at `scale`; undefined for NaN/Infinity. */
export function numericUnscaled(view: DataView, off: number, scale: number): bigint | undefined {
  const small = numericUnscaledSmall(view, off, scale);
  if (small === undefined) return undefined;
  if (!Number.isNaN(small)) return BigInt(small);
  const ndigits = view.getInt16(off);
  const exp10 = 4 * (view.getInt16(off + 2) - ndigits + 1) + scale;
  let acc = 0n;
  for (let i = 0; i < ndigits; i++) acc = acc * 10000n + BigInt(view.getInt16(off + 8 + 2 * i));
  const v = exp10 >= 0 ? acc * 10n ** BigInt(exp10) : acc / 10n ** BigInt(-exp10);
  return view.getUint16(off + 4) === 0x4000 ? -v : v;
}

function uuidText(buf: Buffer, off: number): string {
  const h = buf.toString('hex', off, off + 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** How a column is decoded: one small integer per column, switched on in the row loop. */
enum Decode {
  Int2,
  Int4,
  Int8,
  Float4,
  Float8,
  Bool,
  Date,
  Timestamp,
  NumericText,
  Decimal,
  Text,
  Jsonb,
  Uuid,
}

function decodeOf(plan: PgColumnPlan, b: ColumnBuilder): Decode {
  switch (plan.wire) {
    case 'int2':
      return Decode.Int2;
    case 'int4':
      return Decode.Int4;
    case 'int8':
      return Decode.Int8;
    case 'float4':
      return Decode.Float4;
    case 'float8':
      return Decode.Float8;
    case 'bool':
      return Decode.Bool;
    case 'date':
      return Decode.Date;
    case 'timestamp':
      return Decode.Timestamp;
    case 'numeric':
      return b instanceof Utf8Builder ? Decode.NumericText : Decode.Decimal;
    case 'text':
      return Decode.Text;
    case 'jsonb':
      return Decode.Jsonb;
    case 'uuid':
      return Decode.Uuid;
  }
}

function appendTimestamp(tb: TimestampBuilder, view: DataView, off: number): void {
  const hi = view.getInt32(off);
  const lo = view.getUint32(off + 4);
  if (hi < 0x100000 && hi > -0x100000) tb.appendMicros(hi * TWO_32 + lo + US_1970_TO_2000);
  else {
    const v = view.getBigInt64(off);
    if (v === 0x7fffffffffffffffn || v === -0x8000000000000000n) tb.appendNull();
    else tb.appendBigMicros(v + BigInt(US_1970_TO_2000));
  }
}

function appendDecimal(nb: DecimalBuilder, view: DataView, off: number): void {
  const small = numericUnscaledSmall(view, off, nb.scale);
  if (small === undefined) nb.appendNull();
  else if (!Number.isNaN(small)) {
    if (!nb.appendUnscaledNumber(small)) nb.appendNull();
  } else {
    const v = numericUnscaled(view, off, nb.scale);
    if (v === undefined || !nb.appendUnscaled(v)) nb.appendNull();
  }
}

/**
 * One field at `off` (`len` bytes, not NULL) into its builder. A switch on the column's decode
 * code instead of a closure per column: each builder call below sees one class only, so V8 inlines
 * it, which a row loop calling ten different closures through one call site cannot.
 */
function decodeField(
  code: Decode,
  b: ColumnBuilder,
  buf: Buffer,
  view: DataView,
  off: number,
  len: number,
): void {
  switch (code) {
    case Decode.Int2:
      (b as Int64Builder).appendInt32(view.getInt16(off));
      return;
    case Decode.Int4:
      (b as Int64Builder).appendInt32(view.getInt32(off));
      return;
    case Decode.Int8:
      (b as Int64Builder).appendWords(view.getUint32(off + 4), view.getInt32(off));
      return;
    case Decode.Float4:
      (b as Float64Builder).append(view.getFloat32(off));
      return;
    case Decode.Float8:
      (b as Float64Builder).append(view.getFloat64(off));
      return;
    case Decode.Bool:
      (b as BoolBuilder).append(buf[off] !== 0);
      return;
    case Decode.Date: {
      const d = view.getInt32(off);
      if (d === 0x7fffffff || d === -0x80000000) b.appendNull();
      else (b as DateBuilder).append(d + DAYS_1970_TO_2000);
      return;
    }
    case Decode.Timestamp:
      appendTimestamp(b as TimestampBuilder, view, off);
      return;
    case Decode.NumericText: {
      const t = numericText(view, off);
      if (t === undefined) b.appendNull();
      else (b as Utf8Builder).appendString(t);
      return;
    }
    case Decode.Decimal:
      appendDecimal(b as DecimalBuilder, view, off);
      return;
    case Decode.Text:
      (b as Utf8Builder).appendBytes(buf, off, off + len);
      return;
    case Decode.Jsonb:
      (b as Utf8Builder).appendBytes(buf, off + 1, off + len); // version byte first
      return;
    case Decode.Uuid:
      (b as Utf8Builder).appendString(uuidText(buf, off));
      return;
  }
}

export class BinaryCopyDecoder {
  private readonly codes: Decode[];
  private readonly builders: ColumnBuilder[];
  private headerDone = false;
  private pending: Buffer | undefined;
  /** The view of the last chunk: consecutive rows usually lie in the same socket chunk. */
  private viewBuf: Buffer | undefined;
  private view: DataView = new DataView(new ArrayBuffer(0));
  /** True once the trailer was seen. */
  done = false;

  constructor(
    plans: PgColumnPlan[],
    builders: ColumnBuilder[],
    /** Called after each complete row. */
    private readonly onRow: () => void,
  ) {
    this.builders = builders;
    this.codes = plans.map((p, i) => decodeOf(p, builders[i] as ColumnBuilder));
  }

  /** Decodes `chunk[start, end)`: whole rows go to the builders, a partial row waits for more. */
  push(chunk: Buffer, start = 0, end = chunk.length): void {
    let buf = chunk;
    let off = start;
    let stop = end;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk.subarray(start, end)]);
      this.pending = undefined;
      off = 0;
      stop = buf.length;
    }
    if (!this.headerDone) {
      if (stop - off < 19) {
        this.pending = Buffer.from(buf.subarray(off, stop));
        return;
      }
      if (!buf.subarray(off, off + 11).equals(SIGNATURE)) {
        throw new DativoError('INTERNAL', 'postgres: unexpected COPY binary header');
      }
      const ext = viewOf(buf).getUint32(off + 15);
      if (stop - off < 19 + ext) {
        this.pending = Buffer.from(buf.subarray(off, stop));
        return;
      }
      off += 19 + ext;
      this.headerDone = true;
    }
    const n = this.codes.length;
    const { codes, builders } = this;
    if (buf !== this.viewBuf) {
      this.viewBuf = buf;
      this.view = viewOf(buf);
    }
    const view = this.view;
    while (off + 2 <= stop) {
      const count = view.getInt16(off);
      if (count === -1) {
        this.done = true;
        return;
      }
      if (count !== n) {
        throw new DativoError('INTERNAL', `postgres: COPY row has ${count} fields, expected ${n}`);
      }
      // Make sure the whole row is here before touching the builders.
      let p = off + 2;
      let complete = true;
      for (let i = 0; i < n; i++) {
        if (p + 4 > stop) {
          complete = false;
          break;
        }
        const len = view.getInt32(p);
        p += 4 + Math.max(len, 0);
        if (p > stop) {
          complete = false;
          break;
        }
      }
      if (!complete) break;
      p = off + 2;
      for (let i = 0; i < n; i++) {
        const len = view.getInt32(p);
        p += 4;
        if (len < 0) (builders[i] as ColumnBuilder).appendNull();
        else {
          decodeField(codes[i] as Decode, builders[i] as ColumnBuilder, buf, view, p, len);
          p += len;
        }
      }
      off = p;
      this.onRow();
    }
    if (off < stop) this.pending = Buffer.from(buf.subarray(off, stop));
  }
}
