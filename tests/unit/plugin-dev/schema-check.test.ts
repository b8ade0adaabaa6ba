import { Field, Int64, makeData, RecordBatch, Schema, Struct, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { ContractField, FieldType } from '../../../host/contract/model.js';
import { generateRecords, recordsToBatch } from '../../../host/plugin-dev/records.js';
import { checkBatchAgainstContract, checkBatchAgainstSchema } from '../../../host/plugin-dev/schema-check.js';

const f = (name: string, type: FieldType, typeName: string, required = false): ContractField => ({
  name,
  type,
  typeName,
  required,
  constraints: {},
});

const FIELDS: ContractField[] = [
  f('id', { kind: 'int64' }, 'bigint', true),
  f('name', { kind: 'string' }, 'string', true),
  f('amount', { kind: 'decimal', precision: 10, scale: 2 }, 'decimal(10,2)'),
  f('ratio', { kind: 'float64' }, 'double'),
  f('ok', { kind: 'bool' }, 'boolean'),
  f('day', { kind: 'date' }, 'date'),
  f('at', { kind: 'timestamp', utc: 'auto' }, 'timestamp'),
];

function utf8Batch(columns: Record<string, (string | null)[]>): RecordBatch {
  const names = Object.keys(columns);
  const children = names.map((n) => {
    const vals = columns[n]!;
    const enc = new TextEncoder();
    const parts = vals.map((v) => enc.encode(v ?? ''));
    const offsets = new Int32Array(vals.length + 1);
    parts.forEach((p, i) => {
      offsets[i + 1] = offsets[i]! + p.length;
    });
    const data = new Uint8Array(offsets[vals.length]!);
    parts.forEach((p, i) => {
      data.set(p, offsets[i]!);
    });
    return makeData({ type: new Utf8(), length: vals.length, valueOffsets: offsets, data });
  });
  const schema = new Schema(names.map((n) => new Field(n, new Utf8(), true)));
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: 1, nullCount: 0, children }),
  );
}

describe('checking a batch against its contract', () => {
  const batch = recordsToBatch(FIELDS, generateRecords(FIELDS, 20));

  it('accepts generated records of every contract type', () => {
    expect(checkBatchAgainstContract(batch, FIELDS, 1)).toBeUndefined();
  });

  it('names a missing column, a wrong type, an extra column', () => {
    expect(checkBatchAgainstContract(batch, [...FIELDS, f('more', { kind: 'string' }, 'string')], 2)).toEqual(
      {
        batch: 2,
        column: 'more',
        message:
          'batch 2: column "more" (string) is missing; the batch has id, name, amount, ratio, ok, day, at',
      },
    );
    const asText = [f('id', { kind: 'string' }, 'string', true), ...FIELDS.slice(1)];
    expect(checkBatchAgainstContract(batch, asText, 1)?.message).toBe(
      'batch 1: column "id" is Int64, the contract\'s string needs Utf8',
    );
    const wider = FIELDS.map((x) =>
      x.name === 'amount' ? { ...x, type: { kind: 'decimal' as const, precision: 12, scale: 3 } } : x,
    );
    expect(checkBatchAgainstContract(batch, wider, 1)?.message).toBe(
      'batch 1: column "amount" is Decimal128(10, 2), the contract\'s decimal(10,2) needs Decimal128(12, 3)',
    );
    expect(checkBatchAgainstContract(batch, FIELDS.slice(0, 6), 1)?.message).toBe(
      'batch 1: column "at" (Timestamp<MICROSECOND>) is not in the contract',
    );
  });

  it('reports the first null in a required column with its row', () => {
    const required = FIELDS.map((x) => (x.name === 'ratio' ? { ...x, required: true } : x));
    // Optional columns of generated rows are null every 5th row: row k=5 is index 4.
    expect(checkBatchAgainstContract(batch, required, 3)).toEqual({
      batch: 3,
      column: 'ratio',
      row: 4,
      message: 'batch 3, row 4: column "ratio" is null, but the contract says it is required',
    });
  });

  it('accepts naive and UTC timestamps for a flat-form timestamp, only UTC for timestamptz', () => {
    const utc = [f('at', { kind: 'timestamp', utc: true }, 'timestamptz')];
    const naive = [f('at', { kind: 'timestamp', utc: false }, 'timestamp')];
    const utcBatch = recordsToBatch(utc, generateRecords(utc, 3));
    const naiveBatch = recordsToBatch(naive, generateRecords(naive, 3));
    const auto = [f('at', { kind: 'timestamp', utc: 'auto' }, 'timestamp')];
    expect(checkBatchAgainstContract(utcBatch, auto, 1)).toBeUndefined();
    expect(checkBatchAgainstContract(naiveBatch, auto, 1)).toBeUndefined();
    expect(checkBatchAgainstContract(naiveBatch, utc, 1)?.message).toBe(
      'batch 1: column "at" is Timestamp<MICROSECOND>, the contract\'s timestamptz needs Timestamp<MICROSECOND, UTC>',
    );
  });

  it('without a contract, a batch must keep the first batch schema', () => {
    const a = utf8Batch({ id: ['1'], name: ['x'] });
    expect(checkBatchAgainstSchema(a, a.schema, 2)).toBeUndefined();
    const b = utf8Batch({ id: ['1'], label: ['x'] });
    expect(checkBatchAgainstSchema(b, a.schema, 2)?.message).toBe(
      'batch 2: schema changed from batch 1: column 2 is label: Utf8, was name: Utf8',
    );
    expect(new Int64().toString()).toBe('Int64');
  });
});
