/**
 * Postgres CDC into Iceberg on the real Postgres of scripts/services (started with
 * wal_level=logical): initial copy in the slot's snapshot, inserts, updates, deletes, a
 * multi-table transaction, TOAST, TRUNCATE, keyless tables, and a crash between the Iceberg commit
 * and the slot's advance. After every run icebird (an independent reader that applies equality
 * deletes) must read exactly the source table's rows.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { icebergRead } from 'icebird';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedJob } from '../../../host/config/types.js';
import { silentLogger } from '../../../host/observability/logger.js';
import { runJob } from '../../../host/pipeline/run-job.js';
import { runPostgresCdc } from '../../../host/sources/postgres-cdc/run.js';
import { cdcNames, dropCdcObjects, slotInfo } from '../../../host/sources/postgres-cdc/slot.js';
import { acquireLock } from '../../../host/state/index.js';
import { installFileFetch } from '../../unit/iceberg/helpers.js';
import { startService } from '../databases/harness.js';

const env = startService('postgres');
const admin = new pg.Client({
  host: env.PGHOST,
  port: Number(env.PGPORT),
  user: env.PGUSER,
  password: env.PGPASSWORD,
  database: env.PGDATABASE,
});
await admin.connect();
const wal = (await admin.query<{ v: string }>("SELECT current_setting('wal_level') AS v")).rows[0]?.v;
// scripts/services/start-postgres.sh starts (or restarts) the test Postgres with logical decoding:
// a server without it is a broken test setup, never a reason to skip.
if (wal !== 'logical') throw new Error(`the test Postgres has wal_level=${wal}, not logical`);

const suffix = randomUUID().slice(0, 8);
const jobs: ResolvedJob[] = [];
let warehouse = '';
let restoreFetch: () => void = () => {};

function cdcJob(name: string, table: string): ResolvedJob {
  const job = {
    name: `${name}-${suffix}`,
    tenantId: 'cdctest',
    file: 'jobs/cdc.yaml',
    statePath: path.join(warehouse, 'state', `${name}.json`),
    validationMode: 'strict',
    source: {
      type: 'postgres_cdc',
      engine: 'native',
      config: {
        table,
        connection: {
          host: env.PGHOST,
          port: env.PGPORT,
          database: env.PGDATABASE,
          user: env.PGUSER,
          password: env.PGPASSWORD,
        },
      },
      options: {},
      files: [],
      objects: [],
      credentials: {},
    },
    target: {
      type: 'iceberg',
      engine: 'native',
      config: { warehouse, namespace: 'cdc', table: `${name}_${suffix}` },
      options: {},
      connection: {},
      fileFormat: 'parquet',
      partitioning: [],
      parquetTargetSizeMb: 128,
      compression: 'zstd',
      rowGroupSize: 10_000,
    },
    contract: { name, domain: 'cdc', tags: [], fields: [] },
    locate: (keyPath: string) => ({ keyPath }),
  } as unknown as ResolvedJob;
  jobs.push(job);
  return job;
}

const run = (job: ResolvedJob, afterCommit?: () => void) =>
  runPostgresCdc(job, { logger: silentLogger(), ...(afterCommit ? { afterCommit } : {}) });

/** `id|name|length(big)|amount` of every row, sorted. */
async function sourceRows(table: string): Promise<string[]> {
  const r = await admin.query<{ v: string }>(
    `SELECT concat_ws('|', id, coalesce(name, '∅'), coalesce(length(big)::text, '∅'), coalesce(to_char(amount, 'FM9999999990.00'), '∅')) AS v FROM ${table}`,
  );
  return r.rows.map((x) => x.v).sort();
}

async function icebergRows(job: ResolvedJob): Promise<string[]> {
  const t = (job.target.config as { table: string }).table;
  const rows = await icebergRead({ tableUrl: `${pathToFileURL(warehouse).href}/cdc/${t}` });
  return rows
    .map((r) =>
      [
        String(r.id),
        r.name ?? '∅',
        r.big === null || r.big === undefined ? '∅' : String((r.big as string).length),
        r.amount === null || r.amount === undefined ? '∅' : Number(r.amount).toFixed(2),
      ].join('|'),
    )
    .sort();
}

async function expectSame(job: ResolvedJob, table: string): Promise<void> {
  const src = await sourceRows(table);
  const ice = await icebergRows(job);
  expect(ice).toEqual(src);
}

const T1 = `cdc_a_${suffix}`;
const T2 = `cdc_b_${suffix}`;
const T3 = `cdc_nokey_${suffix}`;
const T4 = `cdc_crash_${suffix}`;
const T5 = `cdc_lock_${suffix}`;

describe('postgres CDC into Iceberg', () => {
  beforeAll(async () => {
    warehouse = await mkdtemp(path.join(os.tmpdir(), 'dativo-cdc-'));
    restoreFetch = installFileFetch();
    for (const t of [T1, T2, T4, T5]) {
      await admin.query(`CREATE TABLE ${t} (id int PRIMARY KEY, name text, big text, amount numeric(12,2))`);
    }
    await admin.query(`CREATE TABLE ${T3} (id int, name text, big text, amount numeric(12,2))`);
  });

  afterAll(async () => {
    restoreFetch();
    for (const j of jobs) await dropCdcObjects(admin, cdcNames(j.tenantId, j.name)).catch(() => {});
    for (const t of [T1, T2, T3, T4, T5]) await admin.query(`DROP TABLE IF EXISTS ${t}`).catch(() => {});
    await admin.end();
    if (warehouse) await rm(warehouse, { recursive: true, force: true });
  });

  it('copies, then applies inserts, updates, deletes, a multi-table transaction, TOAST and TRUNCATE', async () => {
    const a = cdcJob('a', T1);
    const b = cdcJob('b', T2);
    await admin.query(`INSERT INTO ${T1} SELECT g, 'n' || g, NULL, g * 1.5 FROM generate_series(1, 50) g`);
    const first = await run(a);
    expect(first.copiedRows).toBe(50);
    await expectSame(a, T1);
    expect((await run(b)).copiedRows).toBe(0);

    await admin.query(`INSERT INTO ${T1} VALUES (51, 'new', NULL, 1.25), (52, 'gone', NULL, NULL)`);
    await admin.query(`UPDATE ${T1} SET name = 'changed' WHERE id <= 10`);
    await admin.query(`UPDATE ${T1} SET name = 'twice' WHERE id = 3`);
    await admin.query(`DELETE FROM ${T1} WHERE id IN (20, 21, 52)`);
    await admin.query(`UPDATE ${T1} SET id = 100 WHERE id = 30`);
    const second = await run(a);
    expect(second.changes).toBeGreaterThan(0);
    await expectSame(a, T1);

    // One transaction over both tables: each job takes its table's part.
    await admin.query('BEGIN');
    await admin.query(`INSERT INTO ${T2} VALUES (1, 'b1', NULL, 2.5), (2, 'b2', NULL, NULL)`);
    await admin.query(`UPDATE ${T1} SET amount = 99.99 WHERE id = 1`);
    await admin.query(`DELETE FROM ${T1} WHERE id = 2`);
    await admin.query('COMMIT');
    await run(a);
    await run(b);
    await expectSame(a, T1);
    await expectSame(b, T2);

    // A TOASTed value (large, incompressible): an update of another column sends it as unchanged.
    const big = (
      await admin.query<{ v: string }>(
        `SELECT string_agg(md5(g::text), '') AS v FROM generate_series(1, 400) g`,
      )
    ).rows[0]?.v as string;
    await admin.query(`UPDATE ${T1} SET big = $1 WHERE id IN (4, 5)`, [big]);
    await run(a);
    await admin.query(`UPDATE ${T1} SET name = 'toast kept' WHERE id = 4`);
    await admin.query(`UPDATE ${T1} SET big = big || 'x' WHERE id = 5`);
    await admin.query(`UPDATE ${T1} SET name = 'toast kept too' WHERE id = 5`);
    await run(a);
    await expectSame(a, T1);
    expect((await icebergRows(a)).find((r) => r.startsWith('4|'))).toBe(`4|toast kept|${big.length}|6.00`);

    await admin.query(`TRUNCATE ${T1}`);
    await admin.query(`INSERT INTO ${T1} VALUES (7, 'after truncate', NULL, NULL)`);
    await run(a);
    await expectSame(a, T1);
    expect(await icebergRows(a)).toEqual(['7|after truncate|∅|∅']);

    // Nothing new: the run reads only its heartbeat and changes nothing.
    const idle = await run(a);
    expect(idle.changes).toBe(0);
    await expectSame(a, T1);
  });

  it('refuses a table without a primary key unless REPLICA IDENTITY FULL, then keys it by all columns', async () => {
    const j = cdcJob('nokey', T3);
    await admin.query(`INSERT INTO ${T3} VALUES (1, 'x', NULL, NULL), (2, 'y', NULL, 3.5)`);
    await expect(run(j)).rejects.toThrow(/has no primary key.*REPLICA IDENTITY FULL/);
    await admin.query(`ALTER TABLE ${T3} REPLICA IDENTITY FULL`);
    await run(j);
    await expectSame(j, T3);
    await admin.query(`UPDATE ${T3} SET name = 'z' WHERE id = 1`);
    await admin.query(`DELETE FROM ${T3} WHERE id = 2`);
    await admin.query(`INSERT INTO ${T3} VALUES (3, NULL, NULL, NULL)`);
    await run(j);
    await expectSame(j, T3);
  });

  it('a crash between the Iceberg commit and the slot advance loses nothing and duplicates nothing', async () => {
    const j = cdcJob('crash', T4);
    await admin.query(`INSERT INTO ${T4} VALUES (1, 'a', NULL, NULL)`);
    await run(j);
    await admin.query(`INSERT INTO ${T4} VALUES (2, 'b', NULL, NULL)`);
    await admin.query(`UPDATE ${T4} SET name = 'a2' WHERE id = 1`);
    await expect(
      run(j, () => {
        throw new Error('simulated crash after commit');
      }),
    ).rejects.toThrow(/simulated crash/);
    await expectSame(j, T4); // committed before the crash
    await admin.query(`INSERT INTO ${T4} VALUES (3, 'c', NULL, NULL)`);
    const again = await run(j);
    expect(again.commits).toBe(1);
    await expectSame(j, T4);
  });

  it('runs through runJob, and a run while another holds the job lock is STATE_LOCKED and reads nothing', async () => {
    const j = cdcJob('lock', T5);
    await admin.query(`INSERT INTO ${T5} VALUES (1, 'a', NULL, NULL)`);
    const lock = await acquireLock(j.statePath);
    try {
      const locked = await runJob(j, { logger: silentLogger(), signal: new AbortController().signal });
      expect(locked.errors[0]?.code).toBe('STATE_LOCKED');
      expect(locked.exitCode).not.toBe(0);
      expect(await slotInfo(admin, cdcNames(j.tenantId, j.name).slot)).toBeUndefined();
    } finally {
      await lock.release();
    }
    const ok = await runJob(j, { logger: silentLogger(), signal: new AbortController().signal });
    expect(ok.errors).toEqual([]);
    expect(ok.exitCode).toBe(0);
    expect(ok.rows.read).toBe(1);
    await expectSame(j, T5);
  });
});
