/** Airbyte RECORD data → Arrow: typed columns where the values fit, text otherwise, nulls kept. */
import { Type } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { Contract, FieldType } from '../../../host/contract/model.js';
import { RecordBuffer } from '../../../host/engines/airbyte/index.js';

function contract(fields: [string, FieldType][]): Contract {
  return {
    fields: fields.map(([name, type]) => ({
      name,
      type,
      typeName: type.kind,
      required: false,
      constraints: {},
    })),
  } as unknown as Contract;
}

describe('RecordBuffer', () => {
  it('builds typed columns with nulls, UTF-8 text, JSON for nested values and extra keys as text', () => {
    const b = new RecordBuffer(
      contract([
        ['id', { kind: 'string' }],
        ['n', { kind: 'int64' }],
        ['x', { kind: 'float64' }],
        ['ok', { kind: 'bool' }],
        ['meta', { kind: 'json' }],
      ]),
    );
    b.add({ id: 'ä€𝄞', n: 1, x: 1.5, ok: true, meta: { a: [1] } }, 10);
    b.add({ id: null, n: null, x: null, ok: null, extra: 'e' }, 10);
    b.add({ id: 'c', n: -9007199254740991, x: 2, ok: false, meta: null }, 10);
    const batch = b.flush();
    expect(batch?.numRows).toBe(3);
    const types = Object.fromEntries(batch?.schema.fields.map((f) => [f.name, f.type.typeId]) ?? []);
    expect(types).toEqual({
      id: Type.Utf8,
      n: Type.Int,
      x: Type.Float,
      ok: Type.Bool,
      meta: Type.Utf8,
      extra: Type.Utf8,
    });
    const col = (name: string) => batch?.getChild(name)?.toArray();
    expect([...(col('id') ?? [])]).toEqual(['ä€𝄞', null, 'c']);
    expect([...(batch?.getChild('n') ?? [])]).toEqual([1n, null, -9007199254740991n]);
    expect([...(batch?.getChild('x') ?? [])]).toEqual([1.5, null, 2]);
    expect([...(batch?.getChild('ok') ?? [])]).toEqual([true, null, false]);
    expect([...(batch?.getChild('meta') ?? [])]).toEqual(['{"a":[1]}', null, null]);
    expect([...(batch?.getChild('extra') ?? [])]).toEqual([null, 'e', null]);
    // Extra keys are per batch.
    b.add({ id: 'd' }, 1);
    expect(b.flush()?.schema.fields.map((f) => f.name)).toEqual(['id', 'n', 'x', 'ok', 'meta']);
  });

  it('hands a column over as text when a value does not fit its type, so the validator reports it', () => {
    const b = new RecordBuffer(contract([['n', { kind: 'int64' }]]));
    b.add({ n: 1 }, 1);
    b.add({ n: 'twelve' }, 1);
    b.add({ n: 1.5 }, 1);
    const batch = b.flush();
    expect(batch?.schema.fields[0]?.type.typeId).toBe(Type.Utf8);
    expect([...(batch?.getChild('n') ?? [])]).toEqual(['1', 'twelve', '1.5']);
  });
});

describe('TextColumn', () => {
  it('encodes segment by segment: offsets, nulls and non-ASCII text across segments', async () => {
    const { TextColumn } = await import('../../../host/engines/protocol/json-columns.js');
    const values: unknown[] = [];
    for (let i = 0; i < 5000; i++) {
      values.push(i % 7 === 0 ? null : i > 3000 && i % 5 === 0 ? `ü${i}€𝄞` : i % 11 === 0 ? i : `v${i}`);
    }
    const col = new TextColumn({ kind: 'string' } as FieldType);
    for (const v of values) col.push(v);
    const data = col.finish();
    expect(data.length).toBe(5000);
    expect(data.nullCount).toBe(values.filter((v) => v === null).length);
    const { makeVector } = await import('apache-arrow');
    expect([...makeVector(data)]).toEqual(values.map((v) => (v === null ? null : String(v))));

    const json = new TextColumn({ kind: 'json' } as FieldType);
    for (const v of ['s', { a: [1] }, null, 2]) json.push(v);
    expect([...makeVector(json.finish())]).toEqual(['"s"', '{"a":[1]}', null, '2']);
  });
});
