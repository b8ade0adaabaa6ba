/** date32 and timestamp(us) columns from text. */
import { type Data, DateDay, makeData, TimestampMicrosecond } from 'apache-arrow';
import { newTemporalResult, parseTemporal, writeMicros } from '../parse/temporal.js';
import type { TextColumn } from '../text-column.js';
import { type CoerceContext, eachCell, expected } from './common.js';

/**
 * Decision: a date column also accepts a timestamp at exactly midnight with no offset or `Z`
 * (`2024-03-01 00:00:00`, `2024-03-01T00:00:00.000Z`), since exports often print dates that way;
 * any other time of day, or a non-zero offset, is a type_mismatch rather than silently dropped.
 */
export function coerceDate(col: TextColumn, ctx: CoerceContext): Data {
  const n = col.length;
  const values = new Int32Array(n);
  const r = newTemporalResult();
  const mismatch = expected(ctx.field);
  const pass = eachCell(col, ctx, (b, s, e, i) => {
    if (!parseTemporal(b, s, e, r)) {
      ctx.report(i, 'type_mismatch', `${mismatch} (expected YYYY-MM-DD)`);
      return false;
    }
    if (r.micros !== 0 || r.offsetMinutes !== 0) {
      ctx.report(i, 'type_mismatch', `${mismatch} (has a time of day or an offset)`);
      return false;
    }
    values[i] = r.days;
    return true;
  });
  return makeData({
    type: new DateDay(),
    length: n,
    nullCount: pass.nullCount,
    nullBitmap: pass.validity,
    data: values,
  });
}

/**
 * Values with `Z` or an offset are converted to the UTC instant. Naive values are kept as written:
 * in a UTC column they are taken to be UTC, in a naive column they stay wall-clock time. So a
 * naive column that meets `12:00+02:00` stores the UTC wall time 10:00 and drops the zone.
 */
export function coerceTimestamp(col: TextColumn, ctx: CoerceContext, utc: boolean): Data {
  const n = col.length;
  const values = new BigInt64Array(n);
  const words = new Int32Array(values.buffer);
  const r = newTemporalResult();
  const mismatch = `${expected(ctx.field)} (expected ISO 8601 date and time)`;
  const pass = eachCell(col, ctx, (b, s, e, i) => {
    if (!parseTemporal(b, s, e, r)) {
      ctx.report(i, 'type_mismatch', mismatch);
      return false;
    }
    writeMicros(words, values, i, r);
    return true;
  });
  return makeData({
    type: new TimestampMicrosecond(utc ? 'UTC' : null),
    length: n,
    nullCount: pass.nullCount,
    nullBitmap: pass.validity,
    data: values,
  });
}

/** For `utc: 'auto'`: whether the first value that parses carries a zone (undefined: none found). */
export function firstValueZoned(col: TextColumn): boolean | undefined {
  const r = newTemporalResult();
  const { offsets, bytes, validityOffset, validity } = col;
  for (let i = 0; i < col.length; i++) {
    const k = validityOffset + i;
    if (validity !== null && ((validity[k >> 3] as number) & (1 << (k & 7))) === 0) continue;
    if (parseTemporal(bytes, offsets[i] as number, offsets[i + 1] as number, r)) return r.zoned;
  }
  return undefined;
}
