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

type FieldDecoder = (buf: Buffer, off: number, len: number) => void;

const POW10: number[] = Array.from({ length: 16 }, (_, i) => 10 ** i);

/** numeric send format → exact decimal text. */
export function numericText(buf: Buffer, off: number): string | undefined {
  const ndigits = buf.readInt16BE(off);
  const weight = buf.readInt16BE(off + 2);
  const sign = buf.readUInt16BE(off + 4);
  const dscale = buf.readUInt16BE(off + 6);
  if (sign === 0xc000 || sign === 0xd000 || sign === 0xf000) return undefined; // NaN, ±Infinity
  const digit = (i: number): number => (i >= 0 && i < ndigits ? buf.readInt16BE(off + 8 + 2 * i) : 0);
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

/** numeric send format → unscaled integer at `scale`; undefined for NaN/Infinity. */
export function numericUnscaled(buf: Buffer, off: number, scale: number): bigint | undefined {
  const ndigits = buf.readInt16BE(off);
  const weight = buf.readInt16BE(off + 2);
  const sign = buf.readUInt16BE(off + 4);
  if (sign === 0xc000 || sign === 0xd000 || sign === 0xf000) return undefined;
  if (ndigits === 0) return 0n;
  // value = digits (base 10000) × 10000^(weight − ndigits + 1); unscaled = value × 10^scale.
  const exp10 = 4 * (weight - ndigits + 1) + scale;
  let v: bigint;
  if (ndigits <= 3 && exp10 >= -15 && exp10 <= 3) {
    // Small values (the common case) stay in doubles, exact below 2^53.
    let acc = 0;
    for (let i = 0; i < ndigits; i++) acc = acc * 10000 + buf.readInt16BE(off + 8 + 2 * i);
    if (exp10 >= 0) acc *= POW10[exp10] as number;
    else acc = Math.trunc(acc / (POW10[-exp10] as number));
    v = BigInt(acc);
  } else {
    let acc = 0n;
    for (let i = 0; i < ndigits; i++) acc = acc * 10000n + BigInt(buf.readInt16BE(off + 8 + 2 * i));
    v = exp10 >= 0 ? acc * 10n ** BigInt(exp10) : acc / 10n ** BigInt(-exp10);
  }
  return sign === 0x4000 ? -v : v;
}

function uuidText(buf: Buffer, off: number): string {
  const h = buf.toString('hex', off, off + 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function decoderFor(plan: PgColumnPlan, b: ColumnBuilder): FieldDecoder {
  switch (plan.wire) {
    case 'int2': {
      const ib = b as Int64Builder;
      return (buf, off) => ib.appendInt32(buf.readInt16BE(off));
    }
    case 'int4': {
      const ib = b as Int64Builder;
      return (buf, off) => ib.appendInt32(buf.readInt32BE(off));
    }
    case 'int8': {
      const ib = b as Int64Builder;
      return (buf, off) => ib.appendWords(buf.readUInt32BE(off + 4), buf.readInt32BE(off));
    }
    case 'float4': {
      const fb = b as Float64Builder;
      return (buf, off) => fb.append(buf.readFloatBE(off));
    }
    case 'float8': {
      const fb = b as Float64Builder;
      return (buf, off) => fb.append(buf.readDoubleBE(off));
    }
    case 'bool': {
      const bb = b as BoolBuilder;
      return (buf, off) => bb.append(buf[off] !== 0);
    }
    case 'date': {
      const db = b as DateBuilder;
      return (buf, off) => {
        const d = buf.readInt32BE(off);
        if (d === 0x7fffffff || d === -0x80000000) db.appendNull();
        else db.append(d + DAYS_1970_TO_2000);
      };
    }
    case 'timestamp': {
      const tb = b as TimestampBuilder;
      return (buf, off) => {
        const hi = buf.readInt32BE(off);
        const lo = buf.readUInt32BE(off + 4);
        if (hi < 0x100000 && hi > -0x100000) tb.appendMicros(hi * TWO_32 + lo + US_1970_TO_2000);
        else {
          const v = buf.readBigInt64BE(off);
          if (v === 0x7fffffffffffffffn || v === -0x8000000000000000n) tb.appendNull();
          else tb.appendBigMicros(v + BigInt(US_1970_TO_2000));
        }
      };
    }
    case 'numeric': {
      if (b instanceof Utf8Builder) {
        return (buf, off) => {
          const t = numericText(buf, off);
          if (t === undefined) b.appendNull();
          else b.appendString(t);
        };
      }
      const nb = b as DecimalBuilder;
      return (buf, off) => {
        const v = numericUnscaled(buf, off, nb.scale);
        if (v === undefined || !nb.appendUnscaled(v)) nb.appendNull();
      };
    }
    case 'text': {
      const ub = b as Utf8Builder;
      return (buf, off, len) => ub.appendBytes(buf, off, off + len);
    }
    case 'jsonb': {
      const ub = b as Utf8Builder;
      return (buf, off, len) => ub.appendBytes(buf, off + 1, off + len); // version byte first
    }
    case 'uuid': {
      const ub = b as Utf8Builder;
      return (buf, off) => ub.appendString(uuidText(buf, off));
    }
  }
}

export class BinaryCopyDecoder {
  private readonly decoders: FieldDecoder[];
  private readonly builders: ColumnBuilder[];
  private headerDone = false;
  private pending: Buffer | undefined;
  /** True once the trailer was seen. */
  done = false;

  constructor(
    plans: PgColumnPlan[],
    builders: ColumnBuilder[],
    /** Called after each complete row. */
    private readonly onRow: () => void,
  ) {
    this.builders = builders;
    this.decoders = plans.map((p, i) => decoderFor(p, builders[i] as ColumnBuilder));
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let off = 0;
    if (!this.headerDone) {
      if (buf.length < 19) {
        this.pending = buf;
        return;
      }
      if (!buf.subarray(0, 11).equals(SIGNATURE)) {
        throw new DativoError('INTERNAL', 'postgres: unexpected COPY binary header');
      }
      const ext = buf.readUInt32BE(15);
      if (buf.length < 19 + ext) {
        this.pending = buf;
        return;
      }
      off = 19 + ext;
      this.headerDone = true;
    }
    const n = this.decoders.length;
    while (off + 2 <= buf.length) {
      const count = buf.readInt16BE(off);
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
        if (p + 4 > buf.length) {
          complete = false;
          break;
        }
        const len = buf.readInt32BE(p);
        p += 4 + Math.max(len, 0);
        if (p > buf.length) {
          complete = false;
          break;
        }
      }
      if (!complete) break;
      p = off + 2;
      for (let i = 0; i < n; i++) {
        const len = buf.readInt32BE(p);
        p += 4;
        if (len < 0) (this.builders[i] as ColumnBuilder).appendNull();
        else {
          (this.decoders[i] as FieldDecoder)(buf, p, len);
          p += len;
        }
      }
      off = p;
      this.onRow();
    }
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
  }
}
