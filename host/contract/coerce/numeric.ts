/** int64, float64 and decimal128 columns from text. */
import { type Data, Decimal, Float64, Int64, makeData } from 'apache-arrow';
import {
  DEC_OK,
  DEC_PRECISION,
  DEC_SCALE,
  type DecimalResult,
  parseDecimal,
  writeDecimal128,
} from '../parse/decimal.js';
import {
  INT_FRACTION,
  INT_OK,
  INT_RANGE,
  type IntResult,
  parseFloat64,
  parseInt64,
  setInt64,
} from '../parse/numbers.js';
import type { TextColumn } from '../text-column.js';
import { type CoerceContext, checkNumber, eachCell, expected } from './common.js';

export function coerceInt64(col: TextColumn, ctx: CoerceContext): Data {
  const n = col.length;
  const values = new BigInt64Array(n);
  const words = new Int32Array(values.buffer);
  const r: IntResult = { num: 0, big: 0n, isBig: false };
  const checks = ctx.checks.hasNumber ? ctx.checks : undefined;
  const mismatch = expected(ctx.field);
  const pass = eachCell(col, ctx, (b, s, e, i) => {
    const code = parseInt64(b, s, e, r);
    if (code !== INT_OK) {
      const why =
        code === INT_FRACTION
          ? ' (has a fractional part)'
          : code === INT_RANGE
            ? ' (outside the int64 range)'
            : '';
      ctx.report(i, 'type_mismatch', mismatch + why);
      return false;
    }
    if (checks !== undefined && !checkNumber(r.num, i, checks, ctx)) return false;
    if (r.isBig) values[i] = r.big;
    else setInt64(words, i, r.num);
    return true;
  });
  return makeData({
    type: new Int64(),
    length: n,
    nullCount: pass.nullCount,
    nullBitmap: pass.validity,
    data: values,
  });
}

export function coerceFloat64(col: TextColumn, ctx: CoerceContext): Data {
  const n = col.length;
  const values = new Float64Array(n);
  const checks = ctx.checks.hasNumber ? ctx.checks : undefined;
  const mismatch = expected(ctx.field);
  const pass = eachCell(col, ctx, (b, s, e, i) => {
    const v = parseFloat64(b, s, e);
    if (v === undefined) {
      ctx.report(i, 'type_mismatch', mismatch);
      return false;
    }
    if (checks !== undefined && !checkNumber(v, i, checks, ctx)) return false;
    values[i] = v;
    return true;
  });
  return makeData({
    type: new Float64(),
    length: n,
    nullCount: pass.nullCount,
    nullBitmap: pass.validity,
    data: values,
  });
}

export function coerceDecimal(col: TextColumn, ctx: CoerceContext, precision: number, scale: number): Data {
  const n = col.length;
  const words = new Uint32Array(4 * n);
  const r: DecimalResult = { num: 0, big: 0n, isBig: false };
  const checks = ctx.checks.hasNumber ? ctx.checks : undefined;
  const divisor = 10 ** scale;
  const mismatch = expected(ctx.field);
  const pass = eachCell(col, ctx, (b, s, e, i) => {
    const code = parseDecimal(b, s, e, precision, scale, r);
    if (code !== DEC_OK) {
      const why =
        code === DEC_SCALE
          ? ` (more than ${scale} fractional digits; values are not rounded)`
          : code === DEC_PRECISION
            ? ` (more than ${precision} digits)`
            : '';
      ctx.report(i, 'type_mismatch', mismatch + why);
      return false;
    }
    // Bounds are compared in floating point: exact enough for limits written in a contract.
    if (checks !== undefined && !checkNumber((r.isBig ? Number(r.big) : r.num) / divisor, i, checks, ctx))
      return false;
    writeDecimal128(words, i, r);
    return true;
  });
  return makeData({
    type: new Decimal(scale, precision, 128),
    length: n,
    nullCount: pass.nullCount,
    nullBitmap: pass.validity,
    data: words,
  });
}
