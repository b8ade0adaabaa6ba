import { describe, expect, it } from 'vitest';
import {
  DEC_OK,
  DEC_PRECISION,
  DEC_SCALE,
  DEC_SYNTAX,
  parseDecimal,
} from '../../../host/contract/parse/decimal.js';
import {
  INT_FRACTION,
  INT_OK,
  INT_RANGE,
  INT_SYNTAX,
  type IntResult,
  parseBool,
  parseFloat64,
  parseInt64,
  setInt64,
} from '../../../host/contract/parse/numbers.js';
import {
  civilFromDays,
  daysFromCivil,
  newTemporalResult,
  parseTemporal,
} from '../../../host/contract/parse/temporal.js';

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);

function int(s: string): { code: number; value?: number | bigint } {
  const r: IntResult = { num: 0, big: 0n, isBig: false };
  const b = bytes(s);
  const code = parseInt64(b, 0, b.length, r);
  return code === INT_OK ? { code, value: r.isBig ? r.big : r.num } : { code };
}

describe('parseInt64', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['-17', -17],
    ['+8', 8],
    [' 12 ', 12],
    ['12.0', 12],
    ['12.', 12],
    ['-3.000', -3],
    ['-0', 0],
    ['9007199254740991', 9007199254740991],
  ])('accepts %j → %s', (s, v) => {
    expect(int(s)).toEqual({ code: INT_OK, value: v });
  });

  it('goes to BigInt beyond 2^53 and checks the int64 range', () => {
    expect(int('9007199254740993')).toEqual({ code: INT_OK, value: 9007199254740993n });
    expect(int('9223372036854775807')).toEqual({ code: INT_OK, value: 9223372036854775807n });
    expect(int('-9223372036854775808')).toEqual({ code: INT_OK, value: -9223372036854775808n });
    expect(int('9223372036854775808').code).toBe(INT_RANGE);
    expect(int('-9223372036854775809').code).toBe(INT_RANGE);
  });

  it.each([
    ['12.5', INT_FRACTION],
    ['0.01', INT_FRACTION],
    ['', INT_SYNTAX],
    ['  ', INT_SYNTAX],
    ['abc', INT_SYNTAX],
    ['1e3', INT_SYNTAX],
    ['-', INT_SYNTAX],
    ['.5', INT_SYNTAX],
    ['1 2', INT_SYNTAX],
    ['0x10', INT_SYNTAX],
  ])('rejects %j', (s, code) => {
    expect(int(s).code).toBe(code);
  });
});

describe('setInt64', () => {
  it('writes both halves for small, large and negative values', () => {
    const vals = [
      0, 1, -1, 2147483647, -2147483648, 2147483648, -2147483649, 4294967296, -4294967297, 9007199254740991,
      -9007199254740991,
    ];
    const out = new BigInt64Array(vals.length);
    const words = new Int32Array(out.buffer);
    vals.forEach((v, i) => {
      setInt64(words, i, v);
    });
    expect([...out]).toEqual(vals.map((v) => BigInt(v)));
  });
});

describe('parseFloat64', () => {
  const f = (s: string) => {
    const b = bytes(s);
    return parseFloat64(b, 0, b.length);
  };
  it('parses plain decimals exactly like Number()', () => {
    for (const s of [
      '0',
      '1.5',
      '-2.25',
      '0.1',
      '0.3',
      '123456.789',
      '99999999999999.9',
      '3.141592653589793',
      '1.',
      '+.5',
      '007',
    ]) {
      expect(f(s)).toBe(Number(s));
    }
  });
  it('accepts what Number() accepts, and NaN/inf', () => {
    expect(f('1e3')).toBe(1000);
    expect(f('-2.5E-3')).toBe(-0.0025);
    expect(f('0x1f')).toBe(31);
    expect(f('12345678901234567890')).toBe(Number('12345678901234567890'));
    expect(f('Infinity')).toBe(Number.POSITIVE_INFINITY);
    expect(f('inf')).toBe(Number.POSITIVE_INFINITY);
    expect(f('-INF')).toBe(Number.NEGATIVE_INFINITY);
    expect(f('NaN')).toBeNaN();
    expect(f('nan')).toBeNaN();
    expect(f(' 4.5 ')).toBe(4.5);
  });
  it('rejects empty, blank and non-numbers', () => {
    for (const s of ['', '   ', 'abc', '1.2.3', '-', '.', '1,5', '12abc']) expect(f(s)).toBeUndefined();
  });
});

describe('parseBool', () => {
  const b = (s: string) => {
    const x = bytes(s);
    return parseBool(x, 0, x.length);
  };
  it('maps the true and false words in any case', () => {
    for (const s of ['true', 'TRUE', 'True', '1', 'yes', 'YES', 'on', 't', 'T', 'y', ' Y '])
      expect(b(s)).toBe(1);
    for (const s of ['false', 'False', '0', 'no', 'NO', 'off', 'Off', 'f', 'n']) expect(b(s)).toBe(0);
  });
  it('rejects everything else', () => {
    for (const s of ['', 'tru', 'truee', '2', 'yess', 'nope', '\u0011', 'O']) expect(b(s)).toBe(-1);
  });
});

describe('parseDecimal', () => {
  const d = (s: string, p: number, sc: number) => {
    const r = { num: 0, big: 0n, isBig: false };
    const x = bytes(s);
    const code = parseDecimal(x, 0, x.length, p, sc, r);
    return code === DEC_OK ? (r.isBig ? r.big : BigInt(r.num)) : code;
  };
  it('gives the exact unscaled integer', () => {
    expect(d('123.45', 10, 2)).toBe(12345n);
    expect(d('0.1', 10, 2)).toBe(10n);
    expect(d('-7', 10, 2)).toBe(-700n);
    expect(d('-0.05', 10, 2)).toBe(-5n);
    expect(d('1.2300', 10, 2)).toBe(123n);
    expect(d('+.5', 10, 2)).toBe(50n);
    expect(d('1.5e2', 10, 2)).toBe(15000n);
    expect(d('12345e-2', 10, 2)).toBe(12345n);
    expect(d('99999999.99', 10, 2)).toBe(9999999999n);
    expect(d('0', 10, 2)).toBe(0n);
    expect(d('12345678901234567890.123456', 38, 6)).toBe(12345678901234567890123456n);
    expect(d('-99999999999999999999999999999999999999', 38, 0)).toBe(
      -99999999999999999999999999999999999999n,
    );
  });
  it('never rounds, and checks precision', () => {
    expect(d('1.005', 10, 2)).toBe(DEC_SCALE);
    expect(d('100000000.00', 10, 2)).toBe(DEC_PRECISION);
    expect(d('1e9', 10, 2)).toBe(DEC_PRECISION);
    expect(d('abc', 10, 2)).toBe(DEC_SYNTAX);
    expect(d('', 10, 2)).toBe(DEC_SYNTAX);
    expect(d('1.2.3', 10, 2)).toBe(DEC_SYNTAX);
    expect(d('1e', 10, 2)).toBe(DEC_SYNTAX);
  });
});

describe('parseTemporal', () => {
  const t = (s: string) => {
    const r = newTemporalResult();
    const x = bytes(s);
    return parseTemporal(x, 0, x.length, r) ? { ...r } : null;
  };
  it('counts days from the civil calendar', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(2024, 3, 1)).toBe(19783);
    expect(daysFromCivil(1969, 12, 31)).toBe(-1);
    expect(daysFromCivil(2000, 2, 29)).toBe(11016);
    for (const days of [-719468, -1, 0, 11016, 19783, 2932896]) {
      const [y, m, d] = civilFromDays(days);
      expect(daysFromCivil(y, m, d)).toBe(days);
    }
  });
  it('parses the accepted forms', () => {
    expect(t('2024-03-01')).toMatchObject({ days: 19783, micros: 0, hasTime: false, zoned: false });
    expect(t('2014-02-08 10:01:36.827')).toMatchObject({
      micros: (10 * 3600 + 60 + 36) * 1e6 + 827000,
      zoned: false,
    });
    expect(t('2024-01-01T10:00:00Z')).toMatchObject({ micros: 36000e6, zoned: true, offsetMinutes: 0 });
    expect(t('2024-01-01T12:00:00+02:00')).toMatchObject({
      micros: 43200e6,
      zoned: true,
      offsetMinutes: 120,
    });
    expect(t('2024-01-01T12:00:00-0530')).toMatchObject({ offsetMinutes: -330 });
    expect(t('2024-01-01 12:00:00+00')).toMatchObject({ offsetMinutes: 0, zoned: true });
    expect(t('2024-01-01 12:00:00 +01:00')).toMatchObject({ offsetMinutes: 60 });
    expect(t('2024-01-01T12:00')).toMatchObject({ micros: 43200e6 });
    expect(t('2024-01-01T00:00:00.123456789')).toMatchObject({ micros: 123456 });
    expect(t('2024-01-01T00:00:00.1')).toMatchObject({ micros: 100000 });
  });
  it('rejects invalid dates and times', () => {
    for (const s of [
      '2023-02-29',
      '2024-13-01',
      '2024-04-31',
      '2024-1-01',
      '24-01-01',
      '2024/01/01',
      '2024-01-01T24:00:00',
      '2024-01-01T10:60:00',
      '2024-01-01T10:00:61',
      '2024-01-01T10:00:00.',
      '2024-01-01T10:00:00.1234567890',
      '2024-01-01T10:00:00+2',
      '2024-01-01T10:00:00+02:0',
      '2024-01-01X10:00',
      '2024-01-01T10',
      '',
      'yesterday',
    ]) {
      expect(t(s), s).toBeNull();
    }
    expect(t('2000-02-29')).not.toBeNull();
  });
});
