/**
 * Number and boolean parsing straight from UTF-8 bytes. These run once per cell, so they avoid
 * strings, regexes and BigInt on the common path; BigInt appears only beyond 2^53.
 */

/** Result slot reused across calls (no allocation per cell). `big` is set only when `isBig`. */
export interface IntResult {
  num: number;
  big: bigint;
  isBig: boolean;
}

export const INT_OK = 0;
export const INT_SYNTAX = 1;
export const INT_FRACTION = 2;
export const INT_RANGE = 3;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

export function trimStart(b: Uint8Array, s: number, e: number): number {
  while (s < e && isSpace(b[s] as number)) s++;
  return s;
}

export function trimEnd(b: Uint8Array, s: number, e: number): number {
  while (e > s && isSpace(b[e - 1] as number)) e--;
  return e;
}

/**
 * Optional sign and digits, surrounding blanks allowed. An integral decimal (`12.0`, `12.`) is
 * accepted because spreadsheets export integers that way; `12.5` is INT_FRACTION.
 */
export function parseInt64(b: Uint8Array, start: number, end: number, out: IntResult): number {
  let s = trimStart(b, start, end);
  const e = trimEnd(b, s, end);
  if (s === e) return INT_SYNTAX;
  let neg = false;
  const c0 = b[s] as number;
  if (c0 === 45 /* - */ || c0 === 43 /* + */) {
    neg = c0 === 45;
    s++;
  }
  const digitsStart = s;
  let n = 0;
  while (s < e) {
    const d = (b[s] as number) - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
    s++;
  }
  const digitsEnd = s;
  if (digitsEnd === digitsStart) return INT_SYNTAX;
  if (s < e) {
    if (b[s] !== 46 /* . */) return INT_SYNTAX;
    s++;
    let fractional = false;
    while (s < e) {
      const d = (b[s] as number) - 48;
      if (d < 0 || d > 9) return INT_SYNTAX;
      if (d !== 0) fractional = true;
      s++;
    }
    if (fractional) return INT_FRACTION;
  }
  // Every partial value below 2^53 is exact, so the double is the integer.
  if (n <= Number.MAX_SAFE_INTEGER) {
    out.num = neg && n !== 0 ? -n : n; // no -0 in an integer column
    out.isBig = false;
    return INT_OK;
  }
  let big = 0n;
  for (let i = digitsStart; i < digitsEnd; i++) big = big * 10n + BigInt((b[i] as number) - 48);
  if (neg) big = -big;
  if (big < INT64_MIN || big > INT64_MAX) return INT_RANGE;
  out.big = big;
  out.num = Number(big);
  out.isBig = true;
  return INT_OK;
}

/** Writes a safe integer as the two little-endian halves of an int64 slot. */
export function setInt64(words: Int32Array, i: number, v: number): void {
  if (v >= -2147483648 && v <= 2147483647) {
    words[2 * i] = v;
    words[2 * i + 1] = v < 0 ? -1 : 0;
    return;
  }
  const hi = Math.floor(v / 4294967296);
  words[2 * i] = v - hi * 4294967296; // Int32Array stores ToInt32, which wraps the unsigned low half
  words[2 * i + 1] = hi;
}

const POW10: number[] = [];
for (let i = 0, p = 1; i <= 22; i++, p *= 10) POW10.push(p);

const SPECIALS: Record<string, number> = {
  nan: Number.NaN,
  '+nan': Number.NaN,
  '-nan': Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '+infinity': Number.POSITIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

const decoder = new TextDecoder();

/**
 * Returns the value, or undefined when the text is not a number. Plain decimals with at most 15
 * significant digits take Clinger's fast path (an exact integer divided by an exact power of ten
 * is correctly rounded); everything else (exponents, hex, long mantissas) goes through `Number()`.
 */
export function parseFloat64(b: Uint8Array, start: number, end: number): number | undefined {
  let s = trimStart(b, start, end);
  const e = trimEnd(b, s, end);
  if (s === e) return undefined;
  const from = s;
  let neg = false;
  const c0 = b[s] as number;
  if (c0 === 45 || c0 === 43) {
    neg = c0 === 45;
    s++;
  }
  let m = 0;
  let anyDigit = false;
  let digits = 0;
  let fracDigits = 0;
  let seenDot = false;
  let simple = s < e;
  for (; s < e; s++) {
    const c = b[s] as number;
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      anyDigit = true;
      if (m !== 0 || d !== 0) digits++;
      m = m * 10 + d;
      if (seenDot) fracDigits++;
    } else if (c === 46 && !seenDot) {
      seenDot = true;
    } else {
      simple = false;
      break;
    }
  }
  if (simple && anyDigit && digits <= 15 && fracDigits <= 22) {
    const v = m / (POW10[fracDigits] as number);
    return neg ? -v : v;
  }
  const text = decoder.decode(b.subarray(from, e));
  const special = SPECIALS[text.toLowerCase()];
  if (special !== undefined) return special;
  const v = Number(text);
  return Number.isNaN(v) ? undefined : v;
}

/** true/1/yes/on/t/y and false/0/no/off/f/n in any case; 1 = true, 0 = false, -1 = not a boolean. */
export function parseBool(b: Uint8Array, start: number, end: number): number {
  const s = trimStart(b, start, end);
  const e = trimEnd(b, s, end);
  const len = e - s;
  if (len === 0 || len > 5) return -1;
  // Pack the lower-cased bytes into one number and compare against the words' codes.
  let key = 0;
  for (let i = s; i < e; i++) {
    const c = b[i] as number;
    key = key * 256 + (c >= 65 && c <= 90 ? c | 0x20 : c);
  }
  return BOOL_WORDS.get(key) ?? -1;
}

const BOOL_WORDS = new Map<number, number>();
for (const [w, v] of [
  ['true', 1],
  ['1', 1],
  ['yes', 1],
  ['on', 1],
  ['t', 1],
  ['y', 1],
  ['false', 0],
  ['0', 0],
  ['no', 0],
  ['off', 0],
  ['f', 0],
  ['n', 0],
] as const) {
  let key = 0;
  for (let i = 0; i < w.length; i++) key = key * 256 + w.charCodeAt(i);
  BOOL_WORDS.set(key, v);
}
