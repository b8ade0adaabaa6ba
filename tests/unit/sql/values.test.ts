import type { RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  BinaryCopyDecoder,
  numericText,
  numericUnscaled,
  viewOf,
} from '../../../host/sources/postgres/binary-decoder.js';
import { OID, planColumn } from '../../../host/sources/postgres/types.js';
import { BatchAssembler } from '../../../host/sources/sql/batch.js';
import {
  createBuilder,
  DecimalBuilder,
  Int64Builder,
  TimestampBuilder,
} from '../../../host/sources/sql/columns.js';
import { fitsPrecision, textFromUnscaled, unscaledFromText } from '../../../host/sources/sql/decimal.js';
import { labelFromComment, tagsFromColumns } from '../../../host/sources/sql/tags.js';
import {
  formatDate,
  formatMicros,
  parseDateText,
  parseDateTimeText,
} from '../../../host/sources/sql/time.js';

/** numeric send format of base-10000 digits. */
function numeric(digits: number[], weight: number, sign: number, dscale: number): Buffer {
  const b = Buffer.alloc(8 + 2 * digits.length);
  b.writeInt16BE(digits.length, 0);
  b.writeInt16BE(weight, 2);
  b.writeUInt16BE(sign, 4);
  b.writeUInt16BE(dscale, 6);
  digits.forEach((d, i) => {
    b.writeInt16BE(d, 8 + 2 * i);
  });
  return b;
}

describe('time', () => {
  it('formats and parses µs without losing precision', () => {
    const us = Date.UTC(2024, 0, 2, 3, 4, 5) * 1000 + 123456;
    expect(formatMicros(us, false)).toBe('2024-01-02T03:04:05.123456');
    expect(formatMicros(us, true)).toBe('2024-01-02T03:04:05.123456Z');
    expect(formatMicros(-1, false)).toBe('1969-12-31T23:59:59.999999');
    expect(parseDateTimeText('2024-01-02 03:04:05.123456')).toBe(us);
    expect(parseDateTimeText('2024-01-02 03:04:05.1')).toBe(us - 23456);
    expect(parseDateTimeText('0000-00-00 00:00:00')).toBeUndefined();
    expect(parseDateText('1969-12-31')).toBe(-1);
    expect(formatDate(19724)).toBe('2024-01-02');
  });
});

describe('decimals', () => {
  it('turns text into unscaled integers and back, exactly', () => {
    expect(unscaledFromText('-1234567890123456789012.34', 2)).toBe(-123456789012345678901234n);
    expect(unscaledFromText('1.5', 3)).toBe(1500n);
    expect(unscaledFromText('1.500', 1)).toBe(15n);
    expect(unscaledFromText('1.55', 1)).toBeUndefined();
    expect(unscaledFromText('abc', 1)).toBeUndefined();
    expect(textFromUnscaled(-5n, 2)).toBe('-0.05');
    expect(fitsPrecision(99999n, 5)).toBe(true);
    expect(fitsPrecision(100000n, 5)).toBe(false);
  });

  it('decodes Postgres numeric send format', () => {
    // 1234.56 = [1234, 5600] weight 0, dscale 2
    const n = numeric([1234, 5600], 0, 0, 2);
    expect(numericText(viewOf(n), 0)).toBe('1234.56');
    expect(numericUnscaled(viewOf(n), 0, 2)).toBe(123456n);
    expect(numericUnscaled(viewOf(n), 0, 4)).toBe(12345600n);
    // -0.0001234 = [1, 2340] weight -1, dscale 7
    const small = numeric([1, 2340], -1, 0x4000, 7);
    expect(numericText(viewOf(small), 0)).toBe('-0.0001234');
    // 12345678901234567890 = [1234, 5678, 9012, 3456, 7890] weight 4
    const big = numeric([1234, 5678, 9012, 3456, 7890], 4, 0, 0);
    expect(numericText(viewOf(big), 0)).toBe('12345678901234567890');
    expect(numericUnscaled(viewOf(big), 0, 2)).toBe(1234567890123456789000n);
    expect(numericText(viewOf(numeric([], 0, 0, 2)), 0)).toBe('0.00');
    expect(numericText(viewOf(numeric([1], 2, 0, 0)), 0)).toBe('100000000');
    expect(numericText(viewOf(numeric([], 0, 0xc000, 0)), 0)).toBeUndefined(); // NaN
  });
});

describe('column builders', () => {
  it('hold int64 words exactly and report positions', () => {
    const b = new Int64Builder('id', 4);
    b.appendWords(0xffffffff, 0x7fffffff);
    b.appendInt32(-5);
    b.appendNull();
    b.appendText('-9223372036854775808');
    expect(b.valueAt(0)).toBe('9223372036854775807');
    expect(b.valueAt(1)).toBe(-5);
    expect(b.valueAt(2)).toBeNull();
    const data = b.finish();
    expect(data.nullCount).toBe(1);
    expect(Array.from(data.values as BigInt64Array)).toEqual([
      9223372036854775807n,
      -5n,
      0n,
      -9223372036854775808n,
    ]);
  });

  it('build decimal128 and µs timestamps', () => {
    const d = new DecimalBuilder('amount', 2, 12, 2);
    expect(d.appendText('-12.34')).toBe(true);
    expect(d.appendText('12345678901.00')).toBe(false); // 13 digits
    expect(d.valueAt(0)).toBe('-12.34');
    const t = new TimestampBuilder('ts', 2, true);
    t.appendMicros(1_700_000_000_123_456);
    expect(t.valueAt(0)).toBe('2023-11-14T22:13:20.123456Z');
    expect(String(t.type)).toBe('Timestamp<MICROSECOND, UTC>');
  });
});

describe('postgres binary COPY decoder', () => {
  function copyStream(rows: (Buffer | null)[][]): Buffer {
    const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)];
    for (const r of rows) {
      const h = Buffer.alloc(2);
      h.writeInt16BE(r.length);
      parts.push(h);
      for (const v of r) {
        const l = Buffer.alloc(4);
        l.writeInt32BE(v ? v.length : -1);
        parts.push(l);
        if (v) parts.push(v);
      }
    }
    const end = Buffer.alloc(2);
    end.writeInt16BE(-1);
    parts.push(end);
    return Buffer.concat(parts);
  }
  const i8 = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    return b;
  };

  it('decodes rows split at any byte into typed batches with positions', () => {
    const plans = [
      planColumn('id', OID.int8, -1, 'bigint', false),
      planColumn('ts', OID.timestamp, -1, 'timestamp', false),
      planColumn('amount', OID.numeric, ((12 << 16) | 2) + 4, 'numeric(12,2)', false),
      planColumn('j', OID.jsonb, -1, 'jsonb', false),
    ];
    const stream = copyStream([
      [i8(1n), i8(1_000_001n), numeric([1234, 5600], 0, 0, 2), Buffer.from('\x01{"a": 1}', 'latin1')],
      [i8(2n), null, null, null],
      [i8(3n), i8(-1n), numeric([5], -1, 0x4000, 2), Buffer.from('\x01[]', 'latin1')],
    ]);
    for (const step of [1, 7, stream.length]) {
      const builders = plans.map((p) => createBuilder(p.name, p.kind, 2));
      const asm = new BatchAssembler(builders, 2, 1, [0]);
      const batches: RecordBatch[] = [];
      const dec = new BinaryCopyDecoder(plans, builders, () => {
        if (asm.rowDone()) batches.push(asm.flush() as RecordBatch);
      });
      for (let i = 0; i < stream.length; i += step) dec.push(stream.subarray(i, i + step));
      batches.push(asm.flush() as RecordBatch);
      expect(dec.done).toBe(true);
      expect(batches.map((b) => b.numRows)).toEqual([2, 1]);
      const rows = batches.flatMap((b) => b.toArray().map((r) => r.toJSON()));
      expect(rows.map((r) => r.id)).toEqual([1n, 2n, 3n]);
      expect(rows.map((r) => r.j)).toEqual(['{"a": 1}', null, '[]']);
      expect(asm.lastPosition()).toEqual({ value: '1999-12-31T23:59:59.999999', pk: [3] });
      expect(String(batches[0]?.schema.fields.map((f) => f.type))).toBe(
        'Int64,Timestamp<MICROSECOND>,Decimal[12e+2],Utf8',
      );
      expect(builders[2]?.valueAt(0)).toBeDefined();
    }
  });

  it('maps arrays to JSON text and unknown types to their text form in the SELECT list', () => {
    expect(planColumn('a', 1007, -1, 'integer[]', true)).toMatchObject({
      expr: 'to_json(q."a")::text',
      kind: { kind: 'utf8' },
    });
    expect(planColumn('i', 1186, -1, 'interval', false)).toMatchObject({ expr: 'q."i"::text', wire: 'text' });
    expect(planColumn('n', OID.numeric, -1, 'numeric', false).kind).toEqual({ kind: 'utf8' });
    expect(planColumn('n', OID.numeric, ((40 << 16) | 2) + 4, 'numeric(40,2)', false).kind).toEqual({
      kind: 'utf8',
    });
  });
});

describe('source tags', () => {
  it('reads labels from comments and key flags', () => {
    expect(labelFromComment('classification: PII')).toBe('pii');
    expect(labelFromComment('The customer e-mail; classification=confidential')).toBe('confidential');
    expect(labelFromComment('Sensitive')).toBe('sensitive');
    expect(labelFromComment('free text about the column')).toBeUndefined();
    expect(
      tagsFromColumns([
        { name: 'id', primaryKey: true },
        { name: 'email', comment: 'classification: pii', unique: true },
        { name: 'code', unique: true },
        { name: 'note', comment: 'just a note here' },
      ]),
    ).toEqual({ id: 'primary_key', email: 'pii', code: 'unique' });
  });
});
