/**
 * Date and timestamp parsing from UTF-8 bytes with civil-calendar arithmetic (no `Date` per value):
 * this is on the hot path for every temporal cell.
 *
 * Accepted: `YYYY-MM-DD`, optionally followed by `T`, `t` or one space and `HH:MM`, `HH:MM:SS` or
 * `HH:MM:SS.f` (1 to 9 fractional digits, truncated to microseconds), optionally followed (after at
 * most one space) by `Z`, `±HH:MM`, `±HHMM` or `±HH`. Surrounding blanks are ignored.
 */
import { trimEnd, trimStart } from './numbers.js';

export interface TemporalResult {
  /** Days since 1970-01-01 of the wall-clock date as written. */
  days: number;
  /** Microseconds since midnight of the wall-clock time as written. */
  micros: number;
  /** Offset east of UTC in minutes (0 when absent). */
  offsetMinutes: number;
  /** True when the text carried `Z` or an offset. */
  zoned: boolean;
  /** True when the text carried a time of day. */
  hasTime: boolean;
}

export function newTemporalResult(): TemporalResult {
  return { days: 0, micros: 0, offsetMinutes: 0, zoned: false, hasTime: false };
}

/** Howard Hinnant's days_from_civil: proleptic Gregorian date → days since the epoch. */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The inverse, for turning typed dates back into text. */
export function civilFromDays(z: number): [number, number, number] {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d];
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Two ASCII digits at i as a number, or -1. */
function two(b: Uint8Array, i: number): number {
  const a = (b[i] as number) - 48;
  const c = (b[i + 1] as number) - 48;
  if (a < 0 || a > 9 || c < 0 || c > 9) return -1;
  return a * 10 + c;
}

const FRACTION_SCALE = [0, 100000, 10000, 1000, 100, 10, 1];

/** Returns true and fills `out` when the text is a date or timestamp in the accepted forms. */
export function parseTemporal(b: Uint8Array, start: number, end: number, out: TemporalResult): boolean {
  const s = trimStart(b, start, end);
  const e = trimEnd(b, s, end);
  if (e - s < 10 || b[s + 4] !== 45 || b[s + 7] !== 45) return false;
  const y1 = two(b, s);
  const y2 = two(b, s + 2);
  const mo = two(b, s + 5);
  const d = two(b, s + 8);
  if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1) return false;
  const y = y1 * 100 + y2;
  if (d > daysInMonth(y, mo)) return false;
  out.days = daysFromCivil(y, mo, d);
  out.micros = 0;
  out.offsetMinutes = 0;
  out.zoned = false;
  out.hasTime = false;
  let i = s + 10;
  if (i === e) return true;
  const sep = b[i];
  if (sep !== 84 /* T */ && sep !== 116 /* t */ && sep !== 32) return false;
  i++;
  if (e - i < 5 || b[i + 2] !== 58) return false;
  const hh = two(b, i);
  const mi = two(b, i + 3);
  if (hh < 0 || hh > 23 || mi < 0 || mi > 59) return false;
  i += 5;
  let ss = 0;
  let frac = 0;
  if (i < e && b[i] === 58) {
    if (e - i < 3) return false;
    ss = two(b, i + 1);
    if (ss < 0 || ss > 59) return false;
    i += 3;
    if (i < e && b[i] === 46) {
      i++;
      const fs = i;
      while (i < e) {
        const dd = (b[i] as number) - 48;
        if (dd < 0 || dd > 9) break;
        if (i - fs < 6) frac = frac * 10 + dd; // digits past microseconds are truncated
        i++;
      }
      const n = i - fs;
      if (n < 1 || n > 9) return false;
      frac *= FRACTION_SCALE[Math.min(n, 6)] as number;
    }
  }
  out.hasTime = true;
  out.micros = ((hh * 60 + mi) * 60 + ss) * 1_000_000 + frac;
  if (i === e) return true;
  if (b[i] === 32) i++;
  if (i === e) return false;
  const z = b[i];
  if (z === 90 /* Z */ || z === 122 /* z */) {
    out.zoned = true;
    return i + 1 === e;
  }
  if (z !== 43 && z !== 45) return false;
  const sign = z === 45 ? -1 : 1;
  i++;
  if (e - i < 2) return false;
  const oh = two(b, i);
  if (oh < 0 || oh > 23) return false;
  i += 2;
  let om = 0;
  if (i < e) {
    if (b[i] === 58) i++;
    if (e - i !== 2) return false;
    om = two(b, i);
    if (om < 0 || om > 59) return false;
    i += 2;
  }
  out.zoned = true;
  out.offsetMinutes = sign * (oh * 60 + om);
  return i === e;
}

/** Seconds beyond which micros since the epoch no longer fit a double exactly (about ±285 years). */
const SAFE_SECONDS = 9_000_000_000;

/**
 * Writes the UTC instant (wall time minus offset) in microseconds into int64 slot i. `words` and
 * `bigs` view the same buffer; the BigInt view is used only for years outside ~1685..2255.
 */
export function writeMicros(words: Int32Array, bigs: BigInt64Array, i: number, r: TemporalResult): void {
  const secs = r.days * 86400 + Math.floor(r.micros / 1_000_000) - r.offsetMinutes * 60;
  const sub = r.micros % 1_000_000;
  if (secs > -SAFE_SECONDS && secs < SAFE_SECONDS) {
    const v = secs * 1_000_000 + sub;
    const hi = Math.floor(v / 4294967296);
    words[2 * i] = v - hi * 4294967296;
    words[2 * i + 1] = hi;
  } else {
    bigs[i] = BigInt(secs) * 1_000_000n + BigInt(sub);
  }
}
