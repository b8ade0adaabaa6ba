/** utf8 (string, json) and bool columns from text. */
import { Bool, type Data, makeData, Utf8 } from 'apache-arrow';
import { parseBool } from '../parse/numbers.js';
import type { TextColumn } from '../text-column.js';
import { type CoerceContext, eachCell, expected, passNullsOnly } from './common.js';

/** The output reuses the input's offsets and bytes: a string column is never decoded. */
function utf8Output(col: TextColumn, validity: Uint8Array, nullCount: number): Data {
  return makeData({
    type: new Utf8(),
    length: col.length,
    nullCount,
    nullBitmap: validity,
    // Offsets point into the shared byte buffer (they need not start at 0), so nothing is copied.
    valueOffsets: col.offsets.subarray(0, col.length + 1),
    data: col.bytes,
  });
}

const accept = () => true;

export function coerceString(col: TextColumn, ctx: CoerceContext): Data {
  const pass = ctx.checks.hasText ? eachCell(col, ctx, accept) : passNullsOnly(col, ctx);
  return utf8Output(col, pass.validity, pass.nullCount);
}

const decoder = new TextDecoder();

/** array/object fields: the text must be JSON; it is stored as written. */
export function coerceJson(col: TextColumn, ctx: CoerceContext): Data {
  const mismatch = `${expected(ctx.field)} (not valid JSON)`;
  const pass = eachCell(col, ctx, (b, s, e, i) => {
    try {
      JSON.parse(decoder.decode(b.subarray(s, e)));
      return true;
    } catch {
      ctx.report(i, 'type_mismatch', mismatch);
      return false;
    }
  });
  return utf8Output(col, pass.validity, pass.nullCount);
}

export function coerceBool(col: TextColumn, ctx: CoerceContext): Data {
  const n = col.length;
  const bits = new Uint8Array((n + 7) >> 3);
  const allowed = ctx.checks.boolValues;
  const mismatch = `${expected(ctx.field)} (expected true/false, 1/0, yes/no, on/off, t/f or y/n)`;
  const pass = eachCell(col, ctx, (b, s, e, i) => {
    const v = parseBool(b, s, e);
    if (v < 0) {
      ctx.report(i, 'type_mismatch', mismatch);
      return false;
    }
    if (allowed !== undefined && !allowed.has(v === 1)) {
      ctx.report(i, 'valid_values', `not one of the valid values (${allowed.size} allowed)`);
      return false;
    }
    if (v === 1) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
    return true;
  });
  return makeData({
    type: new Bool(),
    length: n,
    nullCount: pass.nullCount,
    nullBitmap: pass.validity,
    data: bits,
  });
}
