import * as path from 'node:path';
import { Float64, Int64, Utf8 } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { assignFieldIds, emptyFieldIdMap, loadFieldIds } from '../../../host/sinks/field-ids.js';
import { createFileSink } from '../../../host/sinks/file-sink.js';
import { newRunId } from '../../../host/sinks/layout.js';
import { createLocalStore } from '../../../host/sinks/store/local.js';
import { batchOf, ctx, type Duck, duck, T, tempDir } from './helpers.js';

let db: Duck;
beforeAll(async () => {
  db = await duck();
});
afterAll(() => db.close());

async function fieldIdsOf(file: string): Promise<[string, number][]> {
  const rows = await db.all(
    `SELECT name, field_id::INT AS id FROM parquet_schema('${file}') WHERE num_children IS NULL`,
  );
  return rows.map((r) => [String(r.name), Number(r.id)]);
}

describe('field-id map (architecture §4)', () => {
  test('assignFieldIds keeps existing ids, appends new ones, never reuses', () => {
    const a = assignFieldIds(emptyFieldIdMap('x'), ['a', 'b', 'c']);
    expect([...a.ids]).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    // 'b' dropped from the contract, 'd' added before 'a': ids follow names, not positions.
    const b = assignFieldIds(a.map, ['d', 'a', 'c']);
    expect([...b.ids]).toEqual([
      ['d', 4],
      ['a', 1],
      ['c', 3],
    ]);
    expect(b.added).toEqual(['d']);
    expect(b.map.nextId).toBe(5);
    expect(b.map.fields).toEqual({ a: 1, b: 2, c: 3, d: 4 });
  });

  test('a second run with a new column (inserted first) keeps the old ids and appends', async () => {
    const out = tempDir();
    const store = createLocalStore(out);
    const mk = () =>
      createFileSink({
        store,
        layout: { assetName: 'Person Data' },
        partitionBy: [],
        compression: 'zstd',
        rowGroupSize: 100,
      });

    const s1 = mk();
    await s1.open(ctx(newRunId()));
    await s1.write(
      batchOf([
        { name: 'id', type: new Int64(), data: T.int64([1n]) },
        { name: 'name', type: new Utf8(), data: T.utf8(['a']) },
      ]),
    );
    const r1 = (await s1.commit({ state: {} })).record;
    expect(await loadFieldIds(store, 'Person Data')).toEqual({
      version: 1,
      asset: 'Person Data',
      nextId: 3,
      fields: { id: 1, name: 2 },
    });

    const s2 = mk();
    await s2.open(ctx(newRunId()));
    await s2.write(
      batchOf([
        { name: 'score', type: new Float64(), data: T.float64([0.5]) },
        { name: 'id', type: new Int64(), data: T.int64([2n]) },
        { name: 'name', type: new Utf8(), data: T.utf8(['b']) },
      ]),
    );
    const r2 = (await s2.commit({ state: {} })).record;

    expect(await fieldIdsOf(path.join(out, r1.files[0]!.key))).toEqual([
      ['id', 1],
      ['name', 2],
    ]);
    expect(await fieldIdsOf(path.join(out, r2.files[0]!.key))).toEqual([
      ['score', 3],
      ['id', 1],
      ['name', 2],
    ]);
    expect((await loadFieldIds(store, 'Person Data')).fields).toEqual({ id: 1, name: 2, score: 3 });
    expect(await store.exists('_dativo/field-ids/person_data.json')).toBe(true);
  });
});
