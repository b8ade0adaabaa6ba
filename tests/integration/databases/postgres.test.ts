/**
 * The native Postgres source through the real pipeline (runJob) against a throwaway PostgreSQL
 * cluster: a 1M-row table with every mapped type read back by DuckDB, incremental runs with inserts
 * and updates (every row version exactly once, boundary ties), an interrupted run, source tags.
 */
import { execFileSync, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ResolvedJob } from '../../../host/config/types.js';
import { BIN, cliEnv, runCli } from '../../helpers/cli.js';
import { duck } from '../../helpers/duckdb.js';
import {
  hooks,
  parquet,
  parquetTypes,
  REPO,
  readState,
  runDbJob,
  startService,
  tempDir,
  visibleVersions,
} from './harness.js';

vi.mock('../../../host/connectors/index.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../../host/connectors/index.js')>();
  const { routedSource: route } = await import('./route.js');
  return {
    ...orig,
    openSource: (job: ResolvedJob, batchSize: number) =>
      route(job, batchSize) ?? orig.openSource(job, batchSize),
  };
});

let env: Record<string, string>;
let db: pg.Client;
const dirs: string[] = [];

async function dir(prefix: string): Promise<string> {
  const d = await tempDir(prefix);
  dirs.push(d);
  return d;
}

beforeAll(async () => {
  env = startService('postgres');
  db = new pg.Client({
    host: env.PGHOST,
    port: Number(env.PGPORT),
    user: env.PGUSER,
    password: env.PGPASSWORD,
    database: env.PGDATABASE,
  });
  await db.connect();
  await db.query('CREATE SCHEMA IF NOT EXISTS dativo_test');
});

afterAll(async () => {
  await db?.end();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const COLUMNS = `id bigint PRIMARY KEY, account int NOT NULL, amount numeric(12,2) NOT NULL, ratio float8,
  active boolean NOT NULL, event_date date NOT NULL, created_at timestamp(6) NOT NULL, seen_at timestamptz,
  label text, payload jsonb, updated_at timestamp(6) NOT NULL`;

/** Row g of the generated tables: deterministic values with nulls, µs and a zoned column. */
const ROW = (g: string, updated: string) => `${g}, ${g} % 1000, (${g} % 100000)::numeric / 100 + 0.01,
  CASE WHEN ${g} % 10 = 0 THEN NULL ELSE ${g} / 7.0 END, ${g} % 2 = 0, date '2020-01-01' + (${g} % 1500)::int,
  timestamp '2024-01-01' + ${g} * interval '1001 microseconds',
  CASE WHEN ${g} % 5 = 0 THEN NULL ELSE timestamptz '2024-01-01 00:00:00+02' + ${g} * interval '1 second' END,
  'label-' || ${g}, jsonb_build_object('g', ${g}, 'tags', jsonb_build_array('a', 'b')), ${updated}`;

describe('postgres → parquet (native source, real pipeline)', () => {
  it('1M rows with every mapped type: exact count, types and values in DuckDB', async () => {
    await db.query('DROP TABLE IF EXISTS dativo_test.events_1m');
    await db.query(`CREATE TABLE dativo_test.events_1m (${COLUMNS})`);
    await db.query(`COMMENT ON COLUMN dativo_test.events_1m.label IS 'classification: PII'`);
    await db.query(
      `INSERT INTO dativo_test.events_1m SELECT ${ROW('g', "timestamp '2024-06-01' + g * interval '1 microsecond'")}
         FROM generate_series(1, 1000000) g`,
    );
    const out = await dir('pg1m');
    const state = await dir('pg1m-state');
    const { job, report } = await runDbJob(
      'db-pg-events.yaml',
      { ...env, DB_TABLE: 'dativo_test.events_1m', OUT_DIR: out },
      state,
    );
    expect(report.errors).toEqual([]);
    expect(report.exitCode).toBe(0);
    expect(report.rows.written).toBe(1_000_000);
    expect(hooks.last?.sourceTags?.()).toEqual({ id: 'primary_key', label: 'pii' });

    expect(await parquetTypes(out)).toEqual({
      id: 'BIGINT',
      account: 'BIGINT',
      amount: 'DECIMAL(12,2)',
      ratio: 'DOUBLE',
      active: 'BOOLEAN',
      event_date: 'DATE',
      created_at: 'TIMESTAMP',
      seen_at: 'TIMESTAMP WITH TIME ZONE',
      label: 'VARCHAR',
      payload: 'VARCHAR',
      updated_at: 'TIMESTAMP',
    });
    const [got] = await duck<Record<string, string>>(
      `SELECT count(*)::VARCHAR AS n, count(DISTINCT id)::VARCHAR AS ids, sum(amount)::VARCHAR AS amount,
              count(ratio)::VARCHAR AS ratios, sum(account)::VARCHAR AS account, sum(active::INT)::VARCHAR AS active,
              sum(epoch_us(created_at))::VARCHAR AS created, sum(epoch_us(seen_at))::VARCHAR AS seen,
              count(seen_at)::VARCHAR AS seen_n, min(event_date)::VARCHAR AS dmin, max(event_date)::VARCHAR AS dmax,
              strftime(max(updated_at), '%Y-%m-%d %H:%M:%S.%f') AS umax, max(length(label))::VARCHAR AS lmax
         FROM ${parquet(out)}`,
    );
    const want = (
      await db.query<Record<string, string>>(
        `SELECT count(*)::text AS n, count(DISTINCT id)::text AS ids, sum(amount)::text AS amount,
                count(ratio)::text AS ratios, sum(account)::text AS account, sum(active::int)::text AS active,
                sum((extract(epoch FROM created_at) * 1000000)::bigint)::text AS created,
                sum((extract(epoch FROM seen_at) * 1000000)::bigint)::text AS seen,
                count(seen_at)::text AS seen_n, min(event_date)::text AS dmin, max(event_date)::text AS dmax,
                to_char(max(updated_at), 'YYYY-MM-DD HH24:MI:SS.US') AS umax, max(length(label))::text AS lmax
           FROM dativo_test.events_1m`,
      )
    ).rows[0];
    expect(got).toEqual(want);
    // Spot checks of single values: JSON text, µs precision, the zoned instant.
    const [row] = await duck<Record<string, string>>(
      `SELECT payload, strftime(created_at, '%Y-%m-%d %H:%M:%S.%f') AS c, epoch_us(seen_at)::VARCHAR AS s
         FROM ${parquet(out)} WHERE id = 7`,
    );
    expect(JSON.parse(row?.payload ?? '')).toEqual({ g: 7, tags: ['a', 'b'] });
    expect(row?.c).toBe('2024-01-01 00:00:00.007007');
    expect(row?.s).toBe(String(Date.UTC(2023, 11, 31, 22, 0, 7) * 1000));
    const st = await readState(job);
    expect(st['events.updated_at']).toMatchObject({
      last_value: '2024-06-01T00:00:01.000000',
      last_pk: 1_000_000,
    });
  });

  it('three incremental runs with inserts and updates: every row version exactly once, boundary ties kept', async () => {
    const t = 'dativo_test.inc_events';
    await db.query(`DROP TABLE IF EXISTS ${t}, dativo_test.versions`);
    await db.query(`CREATE TABLE ${t} (${COLUMNS})`);
    await db.query(
      'CREATE TABLE dativo_test.versions (id bigint, updated_at timestamp(6), PRIMARY KEY (id, updated_at))',
    );
    const snapshot = () =>
      db.query(`INSERT INTO dativo_test.versions SELECT id, updated_at FROM ${t} ON CONFLICT DO NOTHING`);
    // Ten rows share each updated_at value (µs apart between groups): ties at every batch boundary.
    const ts = (expr: string) => `timestamp '2024-03-01 12:00:00' + (${expr}) * interval '1 microsecond'`;
    await db.query(`INSERT INTO ${t} SELECT ${ROW('g', ts('g / 10'))} FROM generate_series(1, 5000) g`);
    await snapshot();
    const out = await dir('pginc');
    const state = await dir('pginc-state');
    const runEnv = { ...env, DB_TABLE: t, OUT_DIR: out };

    const r1 = await runDbJob('db-pg-incremental.yaml', runEnv, state);
    expect(r1.report.errors).toEqual([]);
    expect(r1.report.rows.written).toBe(5000);
    const s1 = (await readState(r1.job))['events.updated_at'] as Record<string, unknown>;
    // 5000 / 10 = 500 µs after the base; id 5000 is the last of its tie group.
    expect(s1).toMatchObject({ last_value: '2024-03-01T12:00:00.000500', last_pk: 5000 });

    // Boundary rows: same cursor value as the stored position, larger keys. Plus new rows and updates.
    await db.query(`INSERT INTO ${t} SELECT ${ROW('g', ts('500'))} FROM generate_series(5001, 5004) g`);
    await db.query(`INSERT INTO ${t} SELECT ${ROW('g', ts('g'))} FROM generate_series(5005, 7000) g`);
    await db.query(
      `UPDATE ${t} SET updated_at = ${ts('100000 + id')}, label = 'updated' WHERE id % 5 = 0 AND id <= 5000`,
    );
    await snapshot();
    const r2 = await runDbJob('db-pg-incremental.yaml', runEnv, state);
    expect(r2.report.errors).toEqual([]);
    expect(r2.report.rows.written).toBe(4 + 1996 + 1000);

    // Rows updated again, an update of a row inserted in run 2, and a few inserts.
    await db.query(`UPDATE ${t} SET updated_at = ${ts('200000 + id')} WHERE id % 50 = 0 OR id = 6001`);
    await db.query(
      `INSERT INTO ${t} SELECT ${ROW('g', ts('300000 + g'))} FROM generate_series(7001, 7500) g`,
    );
    await snapshot();
    const r3 = await runDbJob('db-pg-incremental.yaml', runEnv, state);
    expect(r3.report.errors).toEqual([]);
    expect(r3.report.rows.written).toBe(140 + 1 + 500);

    const r4 = await runDbJob('db-pg-incremental.yaml', runEnv, state);
    expect(r4.report.status).toBe('nothing_new');
    expect(r4.report.exitCode).toBe(0);

    const versions = (
      await db.query<{ v: string }>(
        `SELECT id || '|' || (extract(epoch FROM updated_at) * 1000000)::bigint AS v FROM dativo_test.versions`,
      )
    ).rows.map((r) => r.v);
    const seen = await visibleVersions(out);
    expect(seen.length).toBe(versions.length);
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(new Set(versions));
    expect(versions.length).toBe(5000 + 3000 + 641);
  });

  it('a run interrupted midway commits nothing and the rerun loses and repeats nothing', async () => {
    const t = 'dativo_test.kill_events';
    await db.query(`DROP TABLE IF EXISTS ${t}`);
    await db.query(`CREATE TABLE ${t} (${COLUMNS})`);
    const ts = (expr: string) => `timestamp '2024-04-01' + (${expr}) * interval '1 millisecond'`;
    await db.query(`INSERT INTO ${t} SELECT ${ROW('g', ts('g'))} FROM generate_series(1, 3000) g`);
    const out = await dir('pgkill');
    const state = await dir('pgkill-state');
    const runEnv = { ...env, DB_TABLE: t, OUT_DIR: out };
    const first = await runDbJob('db-pg-incremental.yaml', runEnv, state);
    expect(first.report.rows.written).toBe(3000);
    const before = await readState(first.job);

    await db.query(`INSERT INTO ${t} SELECT ${ROW('g', ts('g'))} FROM generate_series(3001, 8000) g`);
    await db.query(`UPDATE ${t} SET updated_at = ${ts('100000 + id')} WHERE id <= 100`);
    const ac = new AbortController();
    hooks.onBatch = (n) => {
      if (n === 2) ac.abort(new Error('killed by the test'));
    };
    try {
      const killed = await runDbJob('db-pg-incremental.yaml', runEnv, state, ac.signal);
      expect(killed.report.status).toBe('interrupted');
      expect(killed.report.exitCode).toBe(2);
      expect(await readState(killed.job)).toEqual(before);
    } finally {
      hooks.onBatch = undefined;
    }
    expect((await visibleVersions(out)).length).toBe(3000);

    const rerun = await runDbJob('db-pg-incremental.yaml', runEnv, state);
    expect(rerun.report.errors).toEqual([]);
    expect(rerun.report.rows.written).toBe(5000 + 100);
    const seen = await visibleVersions(out);
    expect(seen.length).toBe(8100);
    expect(new Set(seen).size).toBe(8100);
  });

  it('lookback_days on a fresh state reads only rows of the last N days', async () => {
    const t = 'dativo_test.lookback_events';
    await db.query(`DROP TABLE IF EXISTS ${t}`);
    await db.query(`CREATE TABLE ${t} (${COLUMNS})`);
    await db.query(
      `INSERT INTO ${t} SELECT ${ROW('g', "now()::timestamp - g * interval '1 hour'")} FROM generate_series(1, 100) g`,
    );
    const out = await dir('pglook');
    const { report } = await runDbJob(
      'db-pg-lookback.yaml',
      { ...env, DB_TABLE: t, OUT_DIR: out },
      await dir('pglook-state'),
    );
    expect(report.errors).toEqual([]);
    // Rows 1..47 are less than 48 hours old (row 48 sits on the boundary, a few ms past it).
    expect(report.rows.written).toBeGreaterThanOrEqual(47);
    expect(report.rows.written).toBeLessThanOrEqual(48);
  });
});

describe('postgres through the CLI: SIGKILL mid-run', () => {
  it('a run killed at random moments and rerun loses and duplicates nothing (3 trials)', async () => {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
      cwd: REPO,
    });
    const t = 'dativo_test.events_kill';
    await db.query(`DROP TABLE IF EXISTS ${t}`);
    await db.query(`CREATE TABLE ${t} (${COLUMNS})`);
    await db.query(
      `INSERT INTO ${t} SELECT ${ROW('g', "timestamp '2024-06-01' + g * interval '1 second'")} FROM generate_series(1, 300000) g`,
    );
    for (let trial = 0; trial < 3; trial++) {
      const out = await dir(`kill-${trial}`);
      const state = await dir(`kill-state-${trial}`);
      const cliEnvVars = { ...env, DB_TABLE: t, OUT_DIR: out };
      const args = ['run', '--config', 'tests/fixtures/jobs/db-pg-events.yaml', '--state-dir', state];
      await new Promise<void>((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args], {
          cwd: REPO,
          env: cliEnv(cliEnvVars),
          stdio: 'ignore',
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 400 + Math.floor(Math.random() * 2500));
        child.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const rerun = await runCli(args, { env: cliEnvVars });
      expect(rerun.code, rerun.stderr).toBe(0);
      const [row] = await duck<{ n: bigint; d: bigint }>(
        `SELECT count(*) AS n, count(DISTINCT id) AS d FROM ${parquet(out)}`,
      );
      expect([Number(row?.n), Number(row?.d)]).toEqual([300000, 300000]);
    }
  });
});
