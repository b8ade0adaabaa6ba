import { Type } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { createValidator } from '../../../host/contract/validate.js';
import { contractOf, fieldType, sourceBatch, values } from './helpers.js';

const us = (iso: string) => BigInt(Date.parse(iso)) * 1000n;

function run(
  type: Parameters<typeof contractOf>[0][number]['type'],
  cells: (string | null)[],
  extra: object = {},
) {
  const v = createValidator(contractOf([{ name: 'x', type, ...extra }]), 'warn');
  const out = v.validate(sourceBatch({ x: cells }));
  return { out, values: values(out.batch, 'x'), rules: out.issues.map((i) => i.rule), v };
}

describe('coercion through the validator', () => {
  it('int64', () => {
    const r = run({ kind: 'int64' }, [
      '1',
      '-2',
      '12.0',
      '9007199254740993',
      '12.5',
      'x',
      '99999999999999999999',
      null,
    ]);
    expect(r.values).toEqual([1n, -2n, 12n, 9007199254740993n, null, null, null, null]);
    expect(r.out.issues.map((i) => [i.line, i.rule, i.value])).toEqual([
      [6, 'type_mismatch', '12.5'],
      [7, 'type_mismatch', 'x'],
      [8, 'type_mismatch', '99999999999999999999'],
    ]);
    expect(r.out.issues[0]?.message).toBe('not a valid int64 (has a fractional part)');
    expect(r.out.issues[2]?.message).toBe('not a valid int64 (outside the int64 range)');
    expect(r.out.batch.schema.fields[0]?.type.typeId).toBe(Type.Int);
  });

  it('float64', () => {
    const r = run({ kind: 'float64' }, ['1.5', '-0.25', '1e3', 'NaN', 'inf', '-inf', '', ' ', 'abc']);
    expect(r.values.slice(0, 3)).toEqual([1.5, -0.25, 1000]);
    expect(r.values[3]).toBeNaN();
    expect(r.values.slice(4)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null, null, null]);
    expect(r.rules).toEqual(['type_mismatch', 'type_mismatch', 'type_mismatch']);
  });

  it('decimal(10,2) is exact and never rounds', () => {
    const r = run({ kind: 'decimal', precision: 10, scale: 2 }, [
      '123.45',
      '0.1',
      '-7',
      '1.005',
      '123456789.1',
      'x',
    ]);
    expect(r.values).toEqual([12345n, 10n, -700n, null, null, null]);
    expect(r.out.issues.map((i) => i.message)).toEqual([
      'not a valid decimal(10,2) (more than 2 fractional digits; values are not rounded)',
      'not a valid decimal(10,2) (more than 10 digits)',
      'not a valid decimal(10,2)',
    ]);
    const t = r.out.batch.schema.fields[0]?.type as { precision: number; scale: number; bitWidth: number };
    expect([t.precision, t.scale, t.bitWidth]).toEqual([10, 2, 128]);
  });

  it('decimal(38,6) beyond 2^53 uses the full 128 bits', () => {
    const r = run({ kind: 'decimal', precision: 38, scale: 6 }, ['-12345678901234567890.5', '0.000001']);
    expect(r.values).toEqual([-12345678901234567890500000n, 1n]);
  });

  it('bool', () => {
    const r = run({ kind: 'bool' }, [
      'true',
      'YES',
      'on',
      't',
      'y',
      '1',
      'False',
      'no',
      'OFF',
      'f',
      'N',
      '0',
      'maybe',
    ]);
    expect(r.values).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      null,
    ]);
    expect(r.rules).toEqual(['type_mismatch']);
  });

  it('date → days since the epoch; midnight timestamps accepted, other times rejected', () => {
    const r = run({ kind: 'date' }, [
      '2024-03-01',
      '1970-01-01',
      '1969-12-31',
      '2024-03-01 00:00:00',
      '2024-03-01T00:00:00.000Z',
      '2024-03-01 10:00:00',
      '2024-03-01T00:00:00+02:00',
      '2023-02-29',
    ]);
    expect(r.values).toEqual([19783, 0, -1, 19783, 19783, null, null, null]);
    expect(r.out.issues.map((i) => i.message)).toEqual([
      'not a valid date (has a time of day or an offset)',
      'not a valid date (has a time of day or an offset)',
      'not a valid date (expected YYYY-MM-DD)',
    ]);
    expect(r.out.batch.schema.fields[0]?.type.toString()).toBe('Date32<DAY>');
  });

  it('naive timestamps stay naive; offsets are converted to UTC wall time', () => {
    const r = run({ kind: 'timestamp', utc: false }, [
      '2014-02-08 10:01:36.827',
      '2024-01-01T12:00:00+02:00',
      '2024-01-01T00:00:00.123456789',
      '2024-01-01',
      '2024-01-01T10:00:00Z',
      'not a time',
    ]);
    expect(r.values).toEqual([
      us('2014-02-08T10:01:36.827Z'),
      us('2024-01-01T10:00:00Z'),
      us('2024-01-01T00:00:00Z') + 123456n,
      us('2024-01-01T00:00:00Z'),
      us('2024-01-01T10:00:00Z'),
      null,
    ]);
    const t = r.out.batch.schema.fields[0]?.type as { unit: number; timezone: string | null };
    expect([t.unit, t.timezone]).toEqual([2, null]);
  });

  it('UTC timestamps: Z and offsets converted, naive values taken as UTC', () => {
    const r = run({ kind: 'timestamp', utc: true }, [
      '2024-01-01T10:00:00Z',
      '2024-01-01T12:00:00+02:00',
      '2024-01-01 10:00:00',
      '2024-01-01T05:30:00-0430',
    ]);
    expect(r.values).toEqual([
      us('2024-01-01T10:00:00Z'),
      us('2024-01-01T10:00:00Z'),
      us('2024-01-01T10:00:00Z'),
      us('2024-01-01T10:00:00Z'),
    ]);
    expect((fieldType(r.out.batch, 0) as { timezone: string }).timezone).toBe('UTC');
  });

  it('timestamps far from the epoch go through BigInt', () => {
    const r = run({ kind: 'timestamp', utc: false }, ['9999-12-31T23:59:59.999999', '0001-01-01T00:00:00']);
    expect(r.values).toEqual([253402300799999999n, -62135596800000000n]);
  });

  it("'auto' timestamps: the first value decides, then the schema is fixed", () => {
    const zoned = run({ kind: 'timestamp', utc: 'auto' }, [
      null,
      'garbage',
      '2024-01-01T12:00:00+02:00',
      '2024-01-01 10:00:00',
    ]);
    expect((fieldType(zoned.out.batch, 0) as { timezone: string }).timezone).toBe('UTC');
    expect(zoned.values.slice(2)).toEqual([us('2024-01-01T10:00:00Z'), us('2024-01-01T10:00:00Z')]);
    const later = zoned.v.validate(sourceBatch({ x: ['2024-01-01 11:00:00'] }));
    expect((fieldType(later.batch, 0) as { timezone: string }).timezone).toBe('UTC');
    expect(later.batch.schema.fields).toEqual(zoned.v.schema().fields);
    expect(values(later.batch, 'x')).toEqual([us('2024-01-01T11:00:00Z')]);

    const naive = run({ kind: 'timestamp', utc: 'auto' }, [
      '2024-01-01 10:00:00',
      '2024-01-01T12:00:00+02:00',
    ]);
    expect((fieldType(naive.out.batch, 0) as { timezone: string | null }).timezone).toBeNull();
    expect(naive.values).toEqual([us('2024-01-01T10:00:00Z'), us('2024-01-01T10:00:00Z')]);
  });

  it('string reuses the input bytes; json must parse', () => {
    const r = run({ kind: 'string' }, ['Sánchez', '', null]);
    expect(r.values).toEqual(['Sánchez', '', null]);
    const j = run({ kind: 'json' }, ['[1,2]', '{"a":1}', '{oops']);
    expect(j.values).toEqual(['[1,2]', '{"a":1}', null]);
    expect(j.rules).toEqual(['type_mismatch']);
  });
});

describe('constraints', () => {
  it('maxLength counts characters, not bytes', () => {
    const r = run({ kind: 'string' }, ['Sánchez', 'Sánchezz', 'abc'], { constraints: { maxLength: 7 } });
    expect(r.values).toEqual(['Sánchez', null, 'abc']);
    expect(r.out.issues).toEqual([
      {
        line: 3,
        file: 'data.csv',
        field: 'x',
        rule: 'max_length',
        value: 'Sánchezz',
        message: 'longer than 7 characters (8)',
      },
    ]);
  });

  it('pattern uses RegExp#test (unanchored, like JSON Schema); anchors are explicit', () => {
    const r = run({ kind: 'string' }, ['AB-12', 'xAB-12x', 'ab-12'], {
      constraints: { pattern: '[A-Z]{2}-\\d+' },
    });
    expect(r.values).toEqual(['AB-12', 'xAB-12x', null]);
    const anchored = run({ kind: 'string' }, ['AB-12', 'xAB-12x'], {
      constraints: { pattern: '^[A-Z]{2}-\\d+$' },
    });
    expect(anchored.values).toEqual(['AB-12', null]);
    expect(anchored.rules).toEqual(['pattern']);
  });

  it('validValues by type', () => {
    expect(
      run({ kind: 'string' }, ['a', 'b', 'c'], { constraints: { validValues: ['a', 'c'] } }).values,
    ).toEqual(['a', null, 'c']);
    expect(
      run({ kind: 'int64' }, ['1', '2', '3.0'], { constraints: { validValues: [1, '3'] } }).values,
    ).toEqual([1n, null, 3n]);
    expect(run({ kind: 'bool' }, ['true', 'false'], { constraints: { validValues: [true] } }).rules).toEqual([
      'valid_values',
    ]);
  });

  it('minimum and maximum on numbers, including decimals', () => {
    const r = run({ kind: 'float64' }, ['-1', '0', '10', '10.5'], {
      constraints: { minimum: 0, maximum: 10 },
    });
    expect(r.values).toEqual([null, 0, 10, null]);
    expect(r.rules).toEqual(['minimum', 'maximum']);
    const d = run({ kind: 'decimal', precision: 10, scale: 2 }, ['9.99', '10.01'], {
      constraints: { maximum: 10 },
    });
    expect(d.values).toEqual([999n, null]);
    const i = run({ kind: 'int64' }, ['5', '-5'], { constraints: { minimum: 0 } });
    expect(i.out.issues[0]).toMatchObject({
      rule: 'minimum',
      message: 'less than the minimum 0',
      value: '-5',
    });
  });

  it('a bad pattern is a config error naming the field', () => {
    expect(() =>
      createValidator(
        contractOf([{ name: 'x', type: { kind: 'string' }, constraints: { pattern: '(' } }]),
        'warn',
      ),
    ).toThrow(/field 'x': pattern is not a valid regular expression/);
  });
});
