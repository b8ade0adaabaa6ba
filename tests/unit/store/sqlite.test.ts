import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore, storeUrl } from '../../../host/store/index.js';
import { storeSuite } from './store-suite.js';

let dir: string;
let n = 0;
// Each test gets a fresh file; within a test, every open() is another connection to that file.
let current = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-store-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  current = path.join(dir, `t${++n}`, 'dativo.db');
});

storeSuite('sqlite', async () => openStore({ store: current }));

describe('sqlite store', () => {
  it('defaults to dativo.db in the state dir; --store wins over $DATIVO_STORE', () => {
    expect(storeUrl({ stateDir: '/s' }, {})).toBe(path.join('/s', 'dativo.db'));
    expect(storeUrl({}, { STATE_DIR: '/e' })).toBe(path.join('/e', 'dativo.db'));
    expect(storeUrl({ store: 'postgres://h/db' }, { DATIVO_STORE: '/x.db' })).toBe('postgres://h/db');
    expect(storeUrl({}, { DATIVO_STORE: '/x.db' })).toBe('/x.db');
  });

  it('a holder whose lease row was taken away learns it lost the lock at its next renewal', async () => {
    const store = await openStore({ store: current });
    try {
      const lock = await store.acquireLock('k', { holder: 'a', ttlMs: 300 });
      const raw = new Database(current);
      raw.prepare('DELETE FROM dativo_job_locks').run();
      raw.close();
      await new Promise((r) => setTimeout(r, 400));
      expect(lock.lost.aborted).toBe(true);
      expect(String((lock.lost.reason as Error).message)).toContain('lost the lock k');
      await lock.release();
    } finally {
      await store.close();
    }
  });
});
