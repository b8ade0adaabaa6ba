/**
 * Exact decimals: text → unscaled integer at a fixed scale (Decimal128), and back. No floating
 * point anywhere, so `12345678901234567890.12` survives the trip.
 */

/** Unscaled value of decimal text at `scale`, or undefined when it is not a plain decimal number. */
export function unscaledFromText(text: string, scale: number): bigint | undefined {
  let s = text.trim();
  let neg = false;
  if (s.startsWith('-')) {
    neg = true;
    s = s.slice(1);
  } else if (s.startsWith('+')) s = s.slice(1);
  const dot = s.indexOf('.');
  const intPart = dot < 0 ? s : s.slice(0, dot);
  let frac = dot < 0 ? '' : s.slice(dot + 1);
  if (!/^\d*$/.test(intPart) || !/^\d*$/.test(frac) || intPart.length + frac.length === 0) return undefined;
  // More fraction digits than the scale can only be zeros for values the column can hold.
  if (frac.length > scale) {
    if (!/^0*$/.test(frac.slice(scale))) return undefined;
    frac = frac.slice(0, scale);
  }
  const v = BigInt((intPart || '0') + frac.padEnd(scale, '0'));
  return neg ? -v : v;
}

/** Decimal text of an unscaled value. */
export function textFromUnscaled(v: bigint, scale: number): string {
  const neg = v < 0n;
  let s = (neg ? -v : v).toString();
  if (scale > 0) {
    s = s.padStart(scale + 1, '0');
    s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  }
  return neg ? `-${s}` : s;
}

const MAX_128 = (1n << 127n) - 1n;

/** True when `v` fits in `precision` digits (and so in 128 bits for precision ≤ 38). */
export function fitsPrecision(v: bigint, precision: number): boolean {
  const abs = v < 0n ? -v : v;
  return abs <= MAX_128 && abs.toString().length <= precision;
}
