/**
 * Exact decimal parsing: the text becomes the unscaled integer at the contract's scale, written as
 * a 128-bit two's-complement value. No binary floating point is involved, so `0.1` in
 * decimal(10,2) is exactly 10.
 *
 * Decision: values are never rounded. Extra fractional digits are accepted only when they are
 * zeros (`1.2300` in decimal(10,2)); `1.005` is DEC_SCALE, and a value needing more than
 * `precision` digits is DEC_PRECISION. Silently rounding money is worse than a reported issue.
 */
import { trimEnd, trimStart } from './numbers.js';

export const DEC_OK = 0;
export const DEC_SYNTAX = 1;
export const DEC_SCALE = 2;
export const DEC_PRECISION = 3;

export interface DecimalResult {
  /** The unscaled value when it fits a double exactly (|v| < 2^53). */
  num: number;
  big: bigint;
  isBig: boolean;
}

const TWO_128 = 1n << 128n;
const MASK32 = 0xffffffffn;

/** Parses `[+-]digits[.digits][e[+-]digits]` into the unscaled value at `scale`. */
export function parseDecimal(
  b: Uint8Array,
  start: number,
  end: number,
  precision: number,
  scale: number,
  out: DecimalResult,
): number {
  let s = trimStart(b, start, end);
  const e = trimEnd(b, s, end);
  if (s === e) return DEC_SYNTAX;
  let neg = false;
  const c0 = b[s] as number;
  if (c0 === 45 || c0 === 43) {
    neg = c0 === 45;
    s++;
  }
  const intStart = s;
  while (s < e && isDigit(b[s] as number)) s++;
  const intEnd = s;
  let fracStart = s;
  let fracEnd = s;
  if (s < e && b[s] === 46) {
    s++;
    fracStart = s;
    while (s < e && isDigit(b[s] as number)) s++;
    fracEnd = s;
  }
  if (intEnd === intStart && fracEnd === fracStart) return DEC_SYNTAX;
  let exp = 0;
  if (s < e && (b[s] === 101 || b[s] === 69)) {
    s++;
    let eneg = false;
    if (s < e && (b[s] === 45 || b[s] === 43)) {
      eneg = b[s] === 45;
      s++;
    }
    const es = s;
    while (s < e && isDigit(b[s] as number) && exp < 10000) exp = exp * 10 + ((b[s++] as number) - 48);
    if (s === es) return DEC_SYNTAX;
    if (eneg) exp = -exp;
  }
  if (s !== e) return DEC_SYNTAX;

  // The literal's digits D (integer then fraction) mean D × 10^(exp − fracLen).
  // At the target scale the unscaled value is D × 10^shift.
  const fracLen = fracEnd - fracStart;
  const shift = scale - (fracLen - exp);
  const total = intEnd - intStart + fracLen;
  let keep = total + Math.min(shift, 0); // digits of D that survive (trailing ones are cut)
  if (keep < 0) keep = 0;
  // Cut digits must all be zero, otherwise the value has more fractional digits than the scale.
  for (let k = keep; k < total; k++) if (digitAt(b, intStart, intEnd, fracStart, k) !== 48) return DEC_SCALE;

  let significant = 0;
  let n = 0;
  let started = false;
  for (let k = 0; k < keep; k++) {
    const d = digitAt(b, intStart, intEnd, fracStart, k) - 48;
    if (d !== 0) started = true;
    if (started) significant++;
    n = n * 10 + d;
  }
  if (significant === 0) {
    out.num = 0;
    out.isBig = false;
    return DEC_OK;
  }
  const zerosAdded = Math.max(shift, 0);
  if (significant + zerosAdded > precision) return DEC_PRECISION;
  if (significant + zerosAdded <= 15) {
    let v = n;
    for (let z = 0; z < zerosAdded; z++) v *= 10;
    out.num = neg && v !== 0 ? -v : v;
    out.isBig = false;
    return DEC_OK;
  }
  let big = 0n;
  for (let k = 0; k < keep; k++) big = big * 10n + BigInt(digitAt(b, intStart, intEnd, fracStart, k) - 48);
  big *= 10n ** BigInt(zerosAdded);
  out.big = neg ? -big : big;
  out.isBig = true;
  return DEC_OK;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The k-th digit of integer-then-fraction digits, as a byte. */
function digitAt(b: Uint8Array, intStart: number, intEnd: number, fracStart: number, k: number): number {
  const intLen = intEnd - intStart;
  return (k < intLen ? b[intStart + k] : b[fracStart + k - intLen]) as number;
}

/** Writes a decimal result into 128-bit slot i (four little-endian 32-bit words). */
export function writeDecimal128(words: Uint32Array, i: number, r: DecimalResult): void {
  const o = 4 * i;
  if (!r.isBig) {
    const v = r.num;
    const hi = Math.floor(v / 4294967296);
    words[o] = v - hi * 4294967296;
    words[o + 1] = hi; // Uint32Array stores ToUint32, so a negative high half becomes two's complement
    const ext = v < 0 ? 0xffffffff : 0;
    words[o + 2] = ext;
    words[o + 3] = ext;
    return;
  }
  let u = r.big < 0n ? r.big + TWO_128 : r.big;
  for (let w = 0; w < 4; w++) {
    words[o + w] = Number(u & MASK32);
    u >>= 32n;
  }
}

/** The unscaled value of slot i as a bigint (for typed decimal input and tests). */
export function readDecimal128(words: Uint32Array, i: number): bigint {
  const o = 4 * i;
  let u = 0n;
  for (let w = 3; w >= 0; w--) u = (u << 32n) | BigInt(words[o + w] as number);
  return u >= 1n << 127n ? u - TWO_128 : u;
}
