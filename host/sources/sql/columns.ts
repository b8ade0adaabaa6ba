/**
 * Column builders shared by the database sources: values are appended row by row into typed
 * buffers sized for one batch, and `finish()` hands the buffers to Arrow without copying. The Arrow
 * types are the contract's storage types (ARCHITECTURE §4), so the validator reuses them as they are.
 */
import {
  Bool,
  type Data,
  type DataType,
  DateDay,
  Decimal,
  Float64,
  Int64,
  makeData,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import { textFromUnscaled, unscaledFromText } from './decimal.js';
import { formatDate, formatMicros } from './time.js';

/** What a source column becomes. `timestamptz` holds UTC instants; `timestamp` wall time. */
export type SqlKind =
  | { kind: 'int64' }
  | { kind: 'float64' }
  | { kind: 'bool' }
  | { kind: 'date' }
  | { kind: 'timestamp' }
  | { kind: 'timestamptz' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'utf8' };

export type PositionValue = string | number | boolean | null;

abstract class Builder {
  length = 0;
  nullCount = 0;
  protected validity: Uint8Array;
  constructor(
    readonly name: string,
    protected readonly capacity: number,
  ) {
    this.validity = new Uint8Array((capacity + 7) >> 3);
  }
  abstract readonly type: DataType;
  protected valid(i: number): void {
    this.validity[i >> 3] = (this.validity[i >> 3] as number) | (1 << (i & 7));
  }
  isNull(i: number): boolean {
    return ((this.validity[i >> 3] as number) & (1 << (i & 7))) === 0;
  }
  appendNull(): void {
    this.length++;
    this.nullCount++;
  }
  /** The value of row i of the current batch as JSON-able text or number (cursor positions). */
  abstract valueAt(i: number): PositionValue;
  /** The batch's column; the builder starts a new, empty batch. */
  abstract finish(): Data;
  protected takeValidity(): Uint8Array | undefined {
    const v = this.nullCount > 0 ? this.validity.slice(0, (this.length + 7) >> 3) : undefined;
    this.validity = new Uint8Array((this.capacity + 7) >> 3);
    return v;
  }
  protected reset(): void {
    this.length = 0;
    this.nullCount = 0;
  }
}

/** 64-bit integers kept as two 32-bit words, so int2/int4/int8 never go through BigInt. */
export class Int64Builder extends Builder {
  readonly type = new Int64();
  private words: Int32Array;
  constructor(name: string, capacity: number) {
    super(name, capacity);
    this.words = new Int32Array(capacity * 2);
  }
  /** lo is taken as unsigned 32 bits, hi as signed. */
  appendWords(lo: number, hi: number): void {
    const i = this.length++;
    this.words[2 * i] = lo | 0;
    this.words[2 * i + 1] = hi;
    this.valid(i);
  }
  /** A 32-bit signed integer (int2/int4): no division needed. */
  appendInt32(n: number): void {
    const i = this.length++;
    this.words[2 * i] = n;
    this.words[2 * i + 1] = n < 0 ? -1 : 0;
    this.valid(i);
  }
  appendNumber(n: number): void {
    if (Number.isSafeInteger(n)) {
      const hi = Math.floor(n / 4294967296);
      this.appendWords(n - hi * 4294967296, hi);
    } else this.appendBigInt(BigInt(Math.trunc(n)));
  }
  appendBigInt(v: bigint): void {
    const i = this.length++;
    new BigInt64Array(this.words.buffer, 8 * i, 1)[0] = BigInt.asIntN(64, v);
    this.valid(i);
  }
  /** Decimal integer text (MySQL BIGINT beyond 2^53 arrives as a string). */
  appendText(s: string): void {
    this.appendBigInt(BigInt(s));
  }
  valueAt(i: number): PositionValue {
    if (this.isNull(i)) return null;
    const v = new BigInt64Array(this.words.buffer, 8 * i, 1)[0] as bigint;
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v.toString();
  }
  finish(): Data {
    const data = makeData({
      type: this.type,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.takeValidity(),
      data: new BigInt64Array(this.words.buffer, 0, this.length),
    });
    this.words = new Int32Array(this.capacity * 2);
    this.reset();
    return data as Data;
  }
}

export class Float64Builder extends Builder {
  readonly type = new Float64();
  private values: Float64Array;
  constructor(name: string, capacity: number) {
    super(name, capacity);
    this.values = new Float64Array(capacity);
  }
  append(v: number): void {
    const i = this.length++;
    this.values[i] = v;
    this.valid(i);
  }
  valueAt(i: number): PositionValue {
    return this.isNull(i) ? null : (this.values[i] as number);
  }
  finish(): Data {
    const data = makeData({
      type: this.type,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.takeValidity(),
      data: this.values.subarray(0, this.length),
    });
    this.values = new Float64Array(this.capacity);
    this.reset();
    return data as Data;
  }
}

export class BoolBuilder extends Builder {
  readonly type = new Bool();
  private bits: Uint8Array;
  constructor(name: string, capacity: number) {
    super(name, capacity);
    this.bits = new Uint8Array((capacity + 7) >> 3);
  }
  append(v: boolean): void {
    const i = this.length++;
    if (v) this.bits[i >> 3] = (this.bits[i >> 3] as number) | (1 << (i & 7));
    this.valid(i);
  }
  valueAt(i: number): PositionValue {
    return this.isNull(i) ? null : ((this.bits[i >> 3] as number) & (1 << (i & 7))) !== 0;
  }
  finish(): Data {
    const data = makeData({
      type: this.type,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.takeValidity(),
      data: this.bits.subarray(0, (this.length + 7) >> 3),
    });
    this.bits = new Uint8Array((this.capacity + 7) >> 3);
    this.reset();
    return data as Data;
  }
}

export class DateBuilder extends Builder {
  readonly type = new DateDay();
  private days: Int32Array;
  constructor(name: string, capacity: number) {
    super(name, capacity);
    this.days = new Int32Array(capacity);
  }
  /** Days since 1970-01-01. */
  append(days: number): void {
    const i = this.length++;
    this.days[i] = days;
    this.valid(i);
  }
  valueAt(i: number): PositionValue {
    return this.isNull(i) ? null : formatDate(this.days[i] as number);
  }
  finish(): Data {
    const data = makeData({
      type: this.type,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.takeValidity(),
      data: this.days.subarray(0, this.length),
    });
    this.days = new Int32Array(this.capacity);
    this.reset();
    return data as Data;
  }
}

/** Timestamps in µs since the epoch; `utc` marks the column UTC-adjusted. */
export class TimestampBuilder extends Builder {
  readonly type: TimestampMicrosecond;
  private words: Int32Array;
  constructor(
    name: string,
    capacity: number,
    readonly utc: boolean,
  ) {
    super(name, capacity);
    this.type = new TimestampMicrosecond(utc ? 'UTC' : null);
    this.words = new Int32Array(capacity * 2);
  }
  /** µs since the epoch; exact for |us| < 2^53 (years 1685–2255), BigInt beyond. */
  appendMicros(us: number): void {
    if (!Number.isSafeInteger(us)) {
      this.appendBigMicros(BigInt(us));
      return;
    }
    const i = this.length++;
    const hi = Math.floor(us / 4294967296);
    this.words[2 * i] = (us - hi * 4294967296) | 0;
    this.words[2 * i + 1] = hi;
    this.valid(i);
  }
  appendBigMicros(us: bigint): void {
    const i = this.length++;
    new BigInt64Array(this.words.buffer, 8 * i, 1)[0] = BigInt.asIntN(64, us);
    this.valid(i);
  }
  valueAt(i: number): PositionValue {
    if (this.isNull(i)) return null;
    return formatMicros(new BigInt64Array(this.words.buffer, 8 * i, 1)[0] as bigint, this.utc);
  }
  finish(): Data {
    const data = makeData({
      type: this.type,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.takeValidity(),
      data: new BigInt64Array(this.words.buffer, 0, this.length),
    });
    this.words = new Int32Array(this.capacity * 2);
    this.reset();
    return data as Data;
  }
}

export class DecimalBuilder extends Builder {
  readonly type: Decimal;
  /** Little-endian 128-bit values as four 32-bit words each (Arrow's layout). */
  private words: Int32Array;
  /** 10^precision: values must stay strictly inside ±limit. */
  private readonly limit: bigint;
  private readonly limitNumber: number;
  constructor(
    name: string,
    capacity: number,
    readonly precision: number,
    readonly scale: number,
  ) {
    super(name, capacity);
    this.type = new Decimal(scale, precision, 128);
    this.limit = 10n ** BigInt(precision);
    this.limitNumber = 10 ** precision;
    this.words = new Int32Array(capacity * 4);
  }
  /** False when the value does not fit the column's precision (the caller decides what that means). */
  appendUnscaled(v: bigint): boolean {
    if (v >= this.limit || v <= -this.limit) return false;
    const i = this.length++;
    const w = new BigInt64Array(this.words.buffer, 16 * i, 2);
    w[0] = BigInt.asIntN(64, v);
    w[1] = v >> 64n;
    this.valid(i);
    return true;
  }
  /** The same for an unscaled value that is a safe integer: no BigInt on the common path. */
  appendUnscaledNumber(v: number): boolean {
    if (!Number.isSafeInteger(v)) return this.appendUnscaled(BigInt(v));
    if (v >= this.limitNumber || v <= -this.limitNumber) return false;
    const i = this.length++;
    const hi = Math.floor(v / 4294967296);
    const sign = hi < 0 ? -1 : 0;
    this.words[4 * i] = (v - hi * 4294967296) | 0;
    this.words[4 * i + 1] = hi;
    this.words[4 * i + 2] = sign;
    this.words[4 * i + 3] = sign;
    this.valid(i);
    return true;
  }
  appendText(s: string): boolean {
    const v = unscaledFromText(s, this.scale);
    return v === undefined ? false : this.appendUnscaled(v);
  }
  valueAt(i: number): PositionValue {
    if (this.isNull(i)) return null;
    const w = new BigInt64Array(this.words.buffer, 16 * i, 2);
    const lo = BigInt.asUintN(64, w[0] as bigint);
    return textFromUnscaled(((w[1] as bigint) << 64n) | lo, this.scale);
  }
  finish(): Data {
    const data = makeData({
      type: this.type,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.takeValidity(),
      data: new Uint32Array(this.words.buffer, 0, this.length * 4),
    });
    this.words = new Int32Array(this.capacity * 4);
    this.reset();
    return data as Data;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Utf8Builder extends Builder {
  readonly type = new Utf8();
  private offsets: Int32Array;
  private bytes: Uint8Array;
  private pos = 0;
  constructor(name: string, capacity: number) {
    super(name, capacity);
    this.offsets = new Int32Array(capacity + 1);
    this.bytes = new Uint8Array(Math.max(1024, capacity * 16));
  }
  private ensure(extra: number): void {
    if (this.pos + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
  }
  /** UTF-8 bytes src[start, end) (Postgres text arrives as UTF-8 already). */
  appendBytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    // Most values are short: a loop beats creating a subarray view for each of them.
    if (n <= 32) {
      const bytes = this.bytes;
      let o = this.pos;
      for (let k = start; k < end; k++) bytes[o++] = src[k] as number;
    } else this.bytes.set(src.subarray(start, end), this.pos);
    this.pos += n;
    const i = this.length++;
    this.offsets[i + 1] = this.pos;
    this.valid(i);
  }
  appendString(s: string): void {
    this.ensure(s.length * 3);
    const { written } = encoder.encodeInto(s, this.bytes.subarray(this.pos));
    this.pos += written;
    const i = this.length++;
    this.offsets[i + 1] = this.pos;
    this.valid(i);
  }
  override appendNull(): void {
    super.appendNull();
    this.offsets[this.length] = this.pos;
  }
  valueAt(i: number): PositionValue {
    if (this.isNull(i)) return null;
    return decoder.decode(this.bytes.subarray(this.offsets[i] as number, this.offsets[i + 1] as number));
  }
  finish(): Data {
    const data = makeData({
      type: this.type,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.takeValidity(),
      valueOffsets: this.offsets.subarray(0, this.length + 1),
      data: this.bytes.subarray(0, this.pos),
    });
    this.offsets = new Int32Array(this.capacity + 1);
    this.bytes = new Uint8Array(Math.max(1024, this.pos + (this.pos >> 2)));
    this.pos = 0;
    this.reset();
    return data as Data;
  }
}

export type ColumnBuilder =
  | Int64Builder
  | Float64Builder
  | BoolBuilder
  | DateBuilder
  | TimestampBuilder
  | DecimalBuilder
  | Utf8Builder;

export function createBuilder(name: string, kind: SqlKind, capacity: number): ColumnBuilder {
  switch (kind.kind) {
    case 'int64':
      return new Int64Builder(name, capacity);
    case 'float64':
      return new Float64Builder(name, capacity);
    case 'bool':
      return new BoolBuilder(name, capacity);
    case 'date':
      return new DateBuilder(name, capacity);
    case 'timestamp':
      return new TimestampBuilder(name, capacity, false);
    case 'timestamptz':
      return new TimestampBuilder(name, capacity, true);
    case 'decimal':
      return new DecimalBuilder(name, capacity, kind.precision, kind.scale);
    case 'utf8':
      return new Utf8Builder(name, capacity);
  }
}
