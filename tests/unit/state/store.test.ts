import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DativoError } from '../../../host/errors.js';
import type { CommitRecord } from '../../../host/sinks/sink.js';
import { reconcileState } from '../../../host/state/reconcile.js';
import { createStateStore } from '../../../host/state/store.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dativo-state-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function statePath(): string {
  n += 1;
  return path.join(tmp, `t${n}`, 'acme', 'csv.employee.state.json');
}

const ORIGINAL_LAYOUT = {
  'file_/data/employee.csv': { last_modified: '2025-11-25T10:01:36.827000', file_id: '/data/employee.csv' },
  'person.modified_date': { last_value: '2014-09-12 11:15:07', updated_at: '2025-11-25T10:02:00' },
};

describe('StateStore', () => {
  it('reads {} when the file does not exist', async () => {
    expect(await createStateStore(statePath()).read()).toEqual({});
  });

  it('writes atomically: content round-trips, folders are created, no temp file is left', async () => {
    const p = statePath();
    const store = createStateStore(p);
    await store.write(ORIGINAL_LAYOUT);
    expect(JSON.parse(readFileSync(p, 'utf8'))).toEqual(ORIGINAL_LAYOUT);
    expect(await store.read()).toEqual(ORIGINAL_LAYOUT);
    await store.write({ only: 1 });
    expect(await store.read()).toEqual({ only: 1 });
    // The replaced file had the original's layout (no commit marker): it is kept once as a backup.
    expect(readdirSync(path.dirname(p)).sort()).toEqual([
      'csv.employee.state.json',
      'csv.employee.state.json.original.bak',
    ]);
    expect(JSON.parse(readFileSync(`${p}.original.bak`, 'utf8'))).toEqual(ORIGINAL_LAYOUT);
  });

  it('concurrent writes leave one complete version and no temp files', async () => {
    const p = statePath();
    const store = createStateStore(p);
    const versions = Array.from({ length: 25 }, (_, i) => ({ version: i, pad: 'x'.repeat(5000) }));
    await Promise.all(versions.map((v) => store.write(v)));
    const final = (await store.read()) as { version: number; pad: string };
    expect(final.pad).toHaveLength(5000);
    expect(final.version).toBeGreaterThanOrEqual(0);
    expect(final.version).toBeLessThan(25);
    expect(readdirSync(path.dirname(p))).toEqual(['csv.employee.state.json']);
  });

  it('removes its temp file when the final rename fails', async () => {
    const p = statePath();
    mkdirSync(p, { recursive: true }); // a folder where the file should go: rename fails
    await expect(createStateStore(p).write({ a: 1 })).rejects.toThrow();
    expect(readdirSync(path.dirname(p))).toEqual(['csv.employee.state.json']);
  });

  it('reports corrupt JSON as STATE_CORRUPT naming the file', async () => {
    const p = statePath();
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, '{"file_x": {"last_modified": ');
    const err = (await createStateStore(p)
      .read()
      .catch((e: unknown) => e)) as DativoError;
    expect(err).toBeInstanceOf(DativoError);
    expect(err.code).toBe('STATE_CORRUPT');
    expect(err.message).toContain(p);
    expect(err.message).toContain('is not valid JSON');
    expect(err.location?.file).toBe(p);
  });

  it('reports a non-object JSON value as STATE_CORRUPT', async () => {
    const p = statePath();
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, '[1,2]');
    await expect(createStateStore(p).read()).rejects.toMatchObject({ code: 'STATE_CORRUPT' });
  });
});

function record(state: Record<string, unknown>): CommitRecord {
  return {
    version: 1,
    runId: 'run-1',
    job: 'employee',
    tenant: 'acme',
    createdAt: '2026-01-01T00:00:00Z',
    status: 'done',
    files: [],
    rows: 3,
    bytes: 100,
    state,
  };
}

describe('reconcileState', () => {
  it('a state file that cached one of our commits, with the commits gone, starts over', async () => {
    const writes: unknown[] = [];
    const out = await reconcileState({ a: 1, _dativo_commit: 'r20260101T000000000-abcdef' }, undefined, {
      write: async (s) => void writes.push(s),
    });
    expect(out).toEqual({});
    expect(writes).toEqual([{}]);
  });

  it('an original state file (no commit marker) without a commit record is used as is', async () => {
    const writes: unknown[] = [];
    const out = await reconcileState({ a: 1 }, undefined, { write: async (s) => void writes.push(s) });
    expect(out).toEqual({ a: 1 });
    expect(writes).toEqual([]);
  });

  it('the committed state wins and is written back when the file differs', async () => {
    const p = statePath();
    const store = createStateStore(p);
    await store.write({ 'file_a.csv': { last_modified: '2020-01-01T00:00:00' } });
    const committed = record(ORIGINAL_LAYOUT);
    const out = await reconcileState(await store.read(), committed, store);
    expect(out).toEqual(ORIGINAL_LAYOUT);
    expect(await store.read()).toEqual({ ...ORIGINAL_LAYOUT, _dativo_commit: committed.runId });
  });

  it('the committed state replaces a missing file', async () => {
    const p = statePath();
    const store = createStateStore(p);
    const committed = record({ k: { last_value: 5 } });
    const out = await reconcileState(await store.read(), committed, store);
    expect(out).toEqual({ k: { last_value: 5 } });
    expect(JSON.parse(readFileSync(p, 'utf8'))).toEqual({
      k: { last_value: 5 },
      _dativo_commit: committed.runId,
    });
  });

  it('does not rewrite the file when only key order differs', async () => {
    const writes: unknown[] = [];
    const committed = record({ a: 1, b: { x: 1, y: 2 } });
    const file = { b: { y: 2, x: 1 }, _dativo_commit: committed.runId, a: 1 };
    const out = await reconcileState(file, committed, { write: async (s) => void writes.push(s) });
    expect(out).toEqual({ a: 1, b: { x: 1, y: 2 } });
    expect(writes).toEqual([]);
  });
});
