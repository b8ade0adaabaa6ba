import { describe, expect, it } from 'vitest';
import { TableNetter } from '../../../host/sources/postgres-cdc/netting.js';
import { UNCHANGED } from '../../../host/sources/postgres-cdc/pgoutput.js';

describe('CDC netting by key', () => {
  it('keeps the last image per key and deletes every touched key', () => {
    const n = new TableNetter([0]);
    n.add({ op: 'insert', row: ['1', 'a'] });
    n.add({ op: 'insert', row: ['2', 'b'] });
    n.add({ op: 'update', row: ['1', 'a2'] });
    n.add({ op: 'delete', old: ['2', null] });
    n.add({ op: 'delete', old: ['3', null] });
    const r = n.result();
    expect(r.truncate).toBe(false);
    expect(r.rows).toEqual([['1', 'a2']]);
    expect(r.deleteKeys).toEqual([['1'], ['2'], ['3']]);
    expect(r.needsFill).toEqual([]);
  });

  it('a key change deletes the old key', () => {
    const n = new TableNetter([0]);
    n.add({ op: 'update', old: ['1', null], row: ['9', 'x'] });
    const r = n.result();
    expect(r.rows).toEqual([['9', 'x']]);
    expect(r.deleteKeys).toEqual([['1'], ['9']]);
  });

  it('fills unchanged TOAST values from the earlier image in the batch, else asks for a fill', () => {
    const n = new TableNetter([0]);
    n.add({ op: 'insert', row: ['1', 'big', 'a'] });
    n.add({ op: 'update', row: ['1', UNCHANGED, 'b'] });
    n.add({ op: 'update', row: ['2', UNCHANGED, 'c'] });
    const r = n.result();
    expect(r.rows).toEqual([
      ['1', 'big', 'b'],
      ['2', UNCHANGED, 'c'],
    ]);
    expect(r.needsFill).toEqual([1]);
  });

  it('fills across a key change from the old key image', () => {
    const n = new TableNetter([0]);
    n.add({ op: 'insert', row: ['1', 'big'] });
    n.add({ op: 'update', old: ['1', null], row: ['2', UNCHANGED] });
    expect(n.result().rows).toEqual([['2', 'big']]);
  });

  it('TRUNCATE forgets what came before and keeps what follows, in commit order', () => {
    const n = new TableNetter([0]);
    n.add({ op: 'insert', row: ['1', 'a'] });
    n.add({ op: 'truncate' });
    n.add({ op: 'insert', row: ['2', 'b'] });
    const r = n.result();
    expect(r.truncate).toBe(true);
    expect(r.rows).toEqual([['2', 'b']]);
    expect(r.deleteKeys).toEqual([['2']]);
  });

  it('uses all columns as the key for REPLICA IDENTITY FULL without a primary key', () => {
    const n = new TableNetter([0, 1]);
    n.add({ op: 'insert', row: ['a', '1'] });
    n.add({ op: 'update', old: ['a', '1'], row: ['a', '2'] });
    const r = n.result();
    expect(r.rows).toEqual([['a', '2']]);
    expect(r.deleteKeys).toEqual([
      ['a', '1'],
      ['a', '2'],
    ]);
  });

  it('a delete then re-insert of a key ends with the new row', () => {
    const n = new TableNetter([0]);
    n.add({ op: 'delete', old: ['1', null] });
    n.add({ op: 'insert', row: ['1', 'new'] });
    expect(n.result().rows).toEqual([['1', 'new']]);
  });
});
