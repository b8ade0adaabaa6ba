/** Transforms against the Iceberg spec's own examples (appendix B hashes, truncate table). */
import { describe, expect, it } from 'vitest';
import {
  applyTransform,
  hashValue,
  humanPartitionValue,
  murmur3x86_32,
  parseTransform,
  resultType,
  uuidBytes,
} from '../../../host/iceberg/transforms.js';
import { twosComplementBE } from '../../../host/iceberg/values.js';

const days = (iso: string) => Math.floor(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
const micros = (iso: string) => BigInt(Date.parse(`${iso}Z`)) * 1000n;

describe('bucket hash: spec appendix B examples', () => {
  it.each([
    ['int', 34, 2017239379],
    ['long', 34n, 2017239379],
    ['decimal(4, 2)', 1420n, -500754589],
    ['date', days('2017-11-16'), -653330422],
    ['time', BigInt(22 * 3600 + 31 * 60 + 8) * 1_000_000n, -662762989],
    ['timestamp', micros('2017-11-16T22:31:08'), -2047944441],
    // 2017-11-16T14:31:08-08:00 is 22:31:08 UTC
    ['timestamptz', BigInt(Date.parse('2017-11-16T14:31:08-08:00')) * 1000n, -2047944441],
    ['string', 'iceberg', 1210000089],
    ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 1488055340],
    ['fixed[4]', new Uint8Array([0, 1, 2, 3]), -188683207],
    ['binary', new Uint8Array([0, 1, 2, 3]), -188683207],
  ] as const)('%s %s → %d', (type, value, expected) => {
    expect(hashValue(type, value as never)).toBe(expected);
  });

  it('murmur3 of the empty input and of each tail length matches the reference', () => {
    // Reference values of MurmurHash3_x86_32 with seed 0 (SMHasher / Guava).
    expect(murmur3x86_32(new Uint8Array([]))).toBe(0);
    expect(murmur3x86_32(new TextEncoder().encode('a'))).toBe(0x3c2569b2 | 0);
    expect(murmur3x86_32(new TextEncoder().encode('ab'))).toBe(0x9bbfd75f | 0);
    expect(murmur3x86_32(new TextEncoder().encode('abc'))).toBe(0xb3dd93fa | 0);
    expect(murmur3x86_32(new TextEncoder().encode('abcd'))).toBe(0x43ed676a | 0);
  });

  it('bucket[N] is (hash & MAX_INT) % N', () => {
    expect(applyTransform({ kind: 'bucket', n: 16 }, 'int', 34)).toBe(2017239379 % 16);
    expect(applyTransform({ kind: 'bucket', n: 16 }, 'string', 'iceberg')).toBe(1210000089 % 16);
    // negative hash: the sign bit is masked, not negated
    expect(applyTransform({ kind: 'bucket', n: 100 }, 'decimal(4, 2)', 1420n)).toBe(
      (-500754589 & 0x7fffffff) % 100,
    );
    expect(applyTransform({ kind: 'bucket', n: 4 }, 'long', null)).toBeNull();
  });

  it('uuid bytes and decimal bytes are big-endian', () => {
    expect([...uuidBytes('f79c3e09-677c-4bbd-a479-3f349cb785e7').subarray(0, 3)]).toEqual([0xf7, 0x9c, 0x3e]);
    expect([...twosComplementBE(1420n)]).toEqual([0x05, 0x8c]);
    expect([...twosComplementBE(-1n)]).toEqual([0xff]);
    expect([...twosComplementBE(128n)]).toEqual([0x00, 0x80]);
    expect([...twosComplementBE(-129n)]).toEqual([0xff, 0x7f]);
  });
});

describe('truncate: spec examples', () => {
  it.each([
    ['int', 1, 10, 0],
    ['int', -1, 10, -10],
    ['long', 1n, 10, 0n],
    ['long', -1n, 10, -10n],
    ['decimal(9, 2)', 1065n, 50, 1050n], // 10.65 → 10.50
    ['string', 'iceberg', 3, 'ice'],
  ] as const)('truncate[%s] %s W=%d', (type, v, w, expected) => {
    expect(applyTransform({ kind: 'truncate', width: w }, type, v as never)).toEqual(expected);
  });

  it('truncates strings by code points, not UTF-16 units', () => {
    expect(applyTransform({ kind: 'truncate', width: 2 }, 'string', '😀😁😂')).toBe('😀😁');
  });

  it('truncates binary by bytes', () => {
    expect(applyTransform({ kind: 'truncate', width: 2 }, 'binary', new Uint8Array([1, 2, 3]))).toEqual(
      new Uint8Array([1, 2]),
    );
  });
});

describe('temporal transforms', () => {
  const ts = micros('2017-11-16T22:31:08');
  it('year, month, day, hour of a timestamp', () => {
    expect(applyTransform({ kind: 'year' }, 'timestamp', ts)).toBe(47);
    expect(applyTransform({ kind: 'month' }, 'timestamp', ts)).toBe(47 * 12 + 10);
    expect(applyTransform({ kind: 'day' }, 'timestamp', ts)).toBe(days('2017-11-16'));
    expect(applyTransform({ kind: 'hour' }, 'timestamptz', ts)).toBe(days('2017-11-16') * 24 + 22);
  });
  it('of a date', () => {
    const d = days('2017-11-16');
    expect(applyTransform({ kind: 'year' }, 'date', d)).toBe(47);
    expect(applyTransform({ kind: 'month' }, 'date', d)).toBe(574);
    expect(applyTransform({ kind: 'day' }, 'date', d)).toBe(d);
  });
  it('before the epoch rounds down (floor), not toward zero', () => {
    const oneMicroBefore = -1n;
    expect(applyTransform({ kind: 'day' }, 'timestamp', oneMicroBefore)).toBe(-1);
    expect(applyTransform({ kind: 'hour' }, 'timestamp', oneMicroBefore)).toBe(-1);
    expect(applyTransform({ kind: 'year' }, 'timestamp', oneMicroBefore)).toBe(-1);
    expect(applyTransform({ kind: 'month' }, 'date', -1)).toBe(-1);
  });
  it('human-readable values for file paths', () => {
    expect(humanPartitionValue({ kind: 'day' }, 'date', days('2017-11-16'))).toBe('2017-11-16');
    expect(humanPartitionValue({ kind: 'month' }, 'int', 574)).toBe('2017-11');
    expect(humanPartitionValue({ kind: 'year' }, 'int', 47)).toBe('2017');
    expect(humanPartitionValue({ kind: 'hour' }, 'int', days('2017-11-16') * 24 + 22)).toBe('2017-11-16-22');
    expect(humanPartitionValue({ kind: 'identity' }, 'string', null)).toBe('null');
  });
});

describe('parsing and result types', () => {
  it('parses the spec names', () => {
    expect(parseTransform('bucket[16]')).toEqual({ kind: 'bucket', n: 16 });
    expect(parseTransform('truncate[4]')).toEqual({ kind: 'truncate', width: 4 });
    expect(parseTransform('day')).toEqual({ kind: 'day' });
    expect(() => parseTransform('bucket[0]')).toThrow(/positive/);
    expect(() => parseTransform('weekly')).toThrow(/unknown partition transform/);
  });
  it('result types', () => {
    expect(resultType({ kind: 'day' }, 'timestamp')).toBe('date');
    expect(resultType({ kind: 'bucket', n: 4 }, 'string')).toBe('int');
    expect(resultType({ kind: 'truncate', width: 4 }, 'string')).toBe('string');
    expect(resultType({ kind: 'identity' }, 'long')).toBe('long');
  });
});
