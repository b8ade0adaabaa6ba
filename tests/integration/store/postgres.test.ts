/**
 * The PostgreSQL store passes the same suite as SQLite (tests/unit/store/store-suite.ts), each test
 * in a database of its own, plus what only a server gives: a lock whose session dies is free at
 * once, and its holder learns it lost the lock.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../host/store/index.js';
import { storeSuite } from '../../unit/store/store-suite.js';
import { startService } from '../databases/harness.js';

let env: Record<string, string>;
let admin: pg.Client;
const created: string[] = [];
let current = '';

function urlOf(db: string): string {
  return `postgres://${env.PGUSER}:${env.PGPASSWORD}@${env.PGHOST}:${env.PGPORT}/${db}`;
}

async function freshDatabase(): Promise<string> {
  const name = `dativo_store_${randomBytes(5).toString('hex')}`;
  await admin.query(`create database ${name}`);
  created.push(name);
  return urlOf(name);
}

beforeAll(async () => {
  env = startService('postgres');
  admin = new pg.Client({ connectionString: urlOf(env.PGDATABASE ?? 'postgres') });
  await admin.connect();
});
afterAll(async () => {
  for (const db of created) await admin.query(`drop database if exists ${db} with (force)`);
  await admin.end();
});
beforeEach(async () => {
  current = await freshDatabase();
});

storeSuite('postgres', async () => openStore({ store: current }));

describe('postgres store', () => {
  it('advisory lock: a holder whose session is killed loses the lock; the job is free at once for another', {
    timeout: 20_000,
  }, async () => {
    const a = await openStore({ store: current });
    const b = await openStore({ store: current });
    try {
      const lock = await a.acquireLock('acme/orders', { holder: 'worker-a', ttlMs: 300 });
      await expect(b.acquireLock('acme/orders', { holder: 'worker-b' })).rejects.toMatchObject({
        code: 'STATE_LOCKED',
        message: expect.stringContaining('worker-a'),
      });
      const db = current.slice(current.lastIndexOf('/') + 1);
      const killed = await admin.query(
        // With a timeout, terminate waits until the backend has exited (and so its lock is gone).
        `select pg_terminate_backend(l.pid, 10000) from pg_locks l join pg_stat_activity s on s.pid = l.pid
         where l.locktype = 'advisory' and s.datname = $1`,
        [db],
      );
      expect(killed.rowCount).toBe(1);
      // No lease to wait out: the next holder gets it at once.
      const next = await b.acquireLock('acme/orders', { holder: 'worker-b' });
      expect(next.fence).toBe(lock.fence + 1);
      await new Promise((r) => setTimeout(r, 400));
      expect(lock.lost.aborted).toBe(true);
      await lock.release();
      await next.release();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('close releases a lock its holder never released, so a failed run cannot hang at close', {
    timeout: 20_000,
  }, async () => {
    const a = await openStore({ store: current });
    await a.acquireLock('acme/orders', { holder: 'worker-a' });
    await a.close();
    const b = await openStore({ store: current });
    try {
      const next = await b.acquireLock('acme/orders', { holder: 'worker-b' });
      expect(next.fence).toBeGreaterThan(0);
      await next.release();
    } finally {
      await b.close();
    }
  });

  it('a bad URL fails with a clear error that does not show the password', async () => {
    const bad = `postgres://postgres:s3cretpw@${env.PGHOST}:${env.PGPORT}/no_such_db_${randomBytes(3).toString('hex')}`;
    const err = await openStore({ store: bad }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('cannot open the run store');
    expect((err as Error).message).not.toContain('s3cretpw');
  });
});
