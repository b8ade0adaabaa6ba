/** Typed batches as the dicts an original BaseWriter gets: JSON values like the original's readers produced. */
import {
  Bool,
  DateDay,
  Decimal,
  Float64,
  Int64,
  Table,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { batchToRecords } from '../../../../host/plugins/python/records.js';

describe('batchToRecords', () => {
  it('gives numbers, strings, ISO dates and timestamps, and nulls', () => {
    const table = new Table({
      id: vectorFromArray([1n, 2n ** 60n, null], new Int64()),
      name: vectorFromArray(['a', null, 'c'], new Utf8()),
      x: vectorFromArray([1.5, 2, null], new Float64()),
      ok: vectorFromArray([true, false, null], new Bool()),
      d: vectorFromArray([new Date('2024-01-02'), null, null], new DateDay()),
      ts: vectorFromArray([new Date('2024-01-02T03:04:05.123Z'), null, null], new TimestampMicrosecond()),
    });
    const batch = table.batches[0]!;
    expect(batchToRecords(batch)).toEqual([
      { id: 1, name: 'a', x: 1.5, ok: true, d: '2024-01-02', ts: '2024-01-02T03:04:05.123' },
      { id: (2n ** 60n).toString(), name: null, x: 2, ok: false, d: null, ts: null },
      { id: null, name: 'c', x: null, ok: null, d: null, ts: null },
    ]);
  });

  it('gives decimals as plain decimal strings', async () => {
    const { recordsToBatch } = await import('../../../../host/plugin-dev/records.js');
    const field = {
      name: 'amount',
      type: { kind: 'decimal', precision: 12, scale: 2 },
      typeName: 'decimal(12,2)',
      required: false,
      constraints: {},
    };
    const batch = recordsToBatch([field] as never, [
      { amount: '12.34' },
      { amount: '-0.05' },
      { amount: null },
    ]);
    expect(batch.schema.fields[0]?.type).toBeInstanceOf(Decimal);
    expect(batchToRecords(batch)).toEqual([{ amount: '12.34' }, { amount: '-0.05' }, { amount: null }]);
  });
});
