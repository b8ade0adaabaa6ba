/**
 * Microsecond time values as the sources hold them: numbers of µs since the Unix epoch (exact as
 * doubles up to year ~2255; the callers fall back to BigInt beyond), printed and parsed without a
 * Date round trip so no precision is lost (JS Date has milliseconds only).
 */

import {
  civilFromDays as civilFromEpochDays,
  daysFromCivil as epochDaysFromCivil,
} from '../../contract/parse/temporal.js';

const US_PER_DAY = 86_400_000_000;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

// One calendar implementation for the whole host: the contract layer's (Howard Hinnant's algorithms).
export {
  civilFromDays as civilFromEpochDays,
  daysFromCivil as epochDaysFromCivil,
} from '../../contract/parse/temporal.js';

export function formatDate(days: number): string {
  const [y, m, d] = civilFromEpochDays(days);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** `YYYY-MM-DDTHH:MM:SS.ffffff`, plus `Z` when `utc`. Always six fraction digits. */
export function formatMicros(us: number | bigint, utc: boolean): string {
  const big = BigInt(us);
  const perDay = BigInt(US_PER_DAY);
  let days = big / perDay;
  let rest = big % perDay;
  if (rest < 0n) {
    rest += perDay;
    days -= 1n;
  }
  const r = Number(rest);
  const secs = Math.floor(r / 1_000_000);
  const frac = r - secs * 1_000_000;
  const hh = Math.floor(secs / 3600);
  const mm = Math.floor((secs % 3600) / 60);
  const ss = secs % 60;
  return `${formatDate(Number(days))}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}.${pad(frac, 6)}${utc ? 'Z' : ''}`;
}

function digits(s: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/** Days since the epoch of `YYYY-MM-DD`; undefined for zero dates (`0000-00-00`) and garbage. */
export function parseDateText(s: string): number | undefined {
  if (s.length < 10) return undefined;
  const y = digits(s, 0, 4);
  const m = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (!(m >= 1 && m <= 12 && d >= 1 && d <= 31) || Number.isNaN(y)) return undefined;
  return epochDaysFromCivil(y, m, d);
}

/**
 * µs since the epoch of `YYYY-MM-DD[ T]HH:MM:SS[.f{1,6}]` read as wall time (MySQL DATETIME, and
 * TIMESTAMP under a `+00:00` session). Undefined for zero dates and garbage.
 */
export function parseDateTimeText(s: string): number | undefined {
  const days = parseDateText(s);
  if (days === undefined) return undefined;
  if (s.length < 19) return s.length === 10 ? days * US_PER_DAY : undefined;
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  const sec = digits(s, 17, 2);
  if (Number.isNaN(h + mi + sec)) return undefined;
  let frac = 0;
  if (s.length > 20 && s.charCodeAt(19) === 46) {
    const n = Math.min(6, s.length - 20);
    frac = digits(s, 20, n);
    if (Number.isNaN(frac)) return undefined;
    for (let i = n; i < 6; i++) frac *= 10;
  }
  return days * US_PER_DAY + ((h * 60 + mi) * 60 + sec) * 1_000_000 + frac;
}
