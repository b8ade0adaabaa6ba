/**
 * bench/cdc-postgres.ts still runs: a tiny update burst, no timing assertions (the bench itself
 * is not part of CI). Needs the test Postgres with wal_level=logical, as postgres.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startService } from '../databases/harness.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const env = startService('postgres');
const c = new pg.Client({
  host: env.PGHOST,
  port: Number(env.PGPORT),
  user: env.PGUSER,
  password: env.PGPASSWORD,
  database: env.PGDATABASE,
});
await c.connect();
const wal = (await c.query<{ v: string }>("SELECT current_setting('wal_level') AS v")).rows[0]?.v;
await c.end();
if (wal !== 'logical') throw new Error(`the test Postgres has wal_level=${wal}, not logical`);

describe('bench/cdc-postgres.ts smoke', () => {
  it('applies a small update burst and reports events and peak RSS', () => {
    const out = execFileSync('npx', ['tsx', 'bench/cdc-postgres.ts', '--rows', '300', '--batch', '100'], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 240_000,
    });
    const r = JSON.parse(out.trim().split('\n').pop() as string) as Record<string, number>;
    expect(r.rows).toBe(300);
    expect(r.events).toBe(300);
    expect(r.commits).toBe(1); // one UPDATE is one transaction, never split across commits
    expect(r.peakRssMb).toBeGreaterThan(0);
  });
});
