import { describe, expect, it } from 'vitest';
import type { ContractField } from '../../../host/contract/model.js';
import { generateRecords, recordsToBatch, recordsToIpc } from '../../../host/plugin-dev/records.js';
import { decodeIpcBatch } from '../../../host/plugins/ipc-frame.js';

const FIELDS: ContractField[] = [
  { name: 'id', type: { kind: 'int64' }, typeName: 'bigint', required: true, constraints: {} },
  { name: 'label', type: { kind: 'string' }, typeName: 'string', required: false, constraints: {} },
  {
    name: 'price',
    type: { kind: 'decimal', precision: 12, scale: 2 },
    typeName: 'decimal(12,2)',
    required: false,
    constraints: {},
  },
  { name: 'flag', type: { kind: 'bool' }, typeName: 'boolean', required: true, constraints: {} },
  { name: 'day', type: { kind: 'date' }, typeName: 'date', required: true, constraints: {} },
  {
    name: 'at',
    type: { kind: 'timestamp', utc: true },
    typeName: 'timestamptz',
    required: true,
    constraints: {},
  },
  { name: 'x', type: { kind: 'float64' }, typeName: 'double', required: true, constraints: {} },
];

describe('generated records for plugin tests', () => {
  it('are deterministic, typed by the contract, null every 5th optional value', () => {
    const rows = generateRecords(FIELDS, 5, { start: 1 });
    expect(rows[0]).toEqual({
      id: 1,
      label: 'label-1',
      price: '1.01',
      flag: false,
      day: '2024-01-02',
      at: '2024-01-01T00:00:01Z',
      x: 1.5,
    });
    expect(rows[4]).toMatchObject({ id: 5, label: null, price: null, flag: false });
    expect(generateRecords(FIELDS, 5)).toEqual(rows);
  });

  it('round-trip through the IPC framing the host checks, with exact values', () => {
    const rows = generateRecords(FIELDS, 12, { start: 99 });
    const batch = decodeIpcBatch(recordsToIpc(FIELDS, rows));
    expect(batch.numRows).toBe(12);
    expect(batch.schema.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`)).toEqual([
      'id:Int64:false',
      'label:Utf8:true',
      'price:Decimal[12e+2]:true',
      'flag:Bool:false',
      'day:Date32<DAY>:false',
      'at:Timestamp<MICROSECOND, UTC>:false',
      'x:Float64:false',
    ]);
    const first = batch.get(0)!.toJSON();
    expect(first.id).toBe(99n);
    expect(first.label).toBe('label-99');
    expect(first.flag).toBe(false);
    expect(first.day).toBe(Date.UTC(2024, 3, 9)); // 99 days after 2024-01-01
    expect(first.at).toBe(Date.UTC(2024, 0, 1, 0, 1, 39)); // arrow-js gives timestamps in ms
    const price = batch.getChild('price')!;
    // 99 * 101 = 9999 hundredths.
    expect(Array.from(price.get(0) as Uint32Array).slice(0, 2)).toEqual([9999, 0]);
    expect(batch.getChild('label')!.get(1)).toBeNull(); // row 100
    expect(batch.getChild('x')!.get(1)).toBe(150);
  });

  it('builds a batch of zero rows', () => {
    expect(recordsToBatch(FIELDS, []).numRows).toBe(0);
  });
});
