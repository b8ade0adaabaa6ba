/**
 * The native MySQL source through the real pipeline (runJob) against a throwaway MariaDB: a 1M-row
 * table with every mapped type read back by DuckDB, incremental runs with inserts and updates
 * (every row version exactly once, boundary ties), an interrupted run, and the employees seed dumps.
 */
import { readFile, rm } from 'node:fs/promises';
import * as path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ResolvedJob } from '../../../host/config/types.js';
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
let db: mysql.Connection;
const dirs: string[] = [];

async function dir(prefix: string): Promise<string> {
  const d = await tempDir(prefix);
  dirs.push(d);
  return d;
}

beforeAll(async () => {
  env = startService('mariadb');
  db = await mysql.createConnection({
    host: env.MYSQL_HOST,
    port: Number(env.MYSQL_PORT),
    user: env.MYSQL_USER,
    password: env.MYSQL_PASSWORD,
    database: env.MYSQL_DB,
    multipleStatements: true,
    dateStrings: true,
  });
  await db.query("SET time_zone = '+00:00'");
});

afterAll(async () => {
  await db?.end();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const COLUMNS = `id BIGINT PRIMARY KEY, account INT NOT NULL, amount DECIMAL(12,2) NOT NULL, ratio DOUBLE,
  active TINYINT(1) NOT NULL, event_date DATE NOT NULL, created_at DATETIME(6) NOT NULL, seen_at TIMESTAMP(6) NULL,
  label VARCHAR(40) COMMENT 'classification: pii', payload JSON, updated_at DATETIME(6) NOT NULL,
  KEY cursor_idx (updated_at, id)`;

const ROW = (g: string, updated: string) => `${g}, ${g} % 1000, (${g} % 100000) / 100 + 0.01,
  CASE WHEN ${g} % 10 = 0 THEN NULL ELSE ${g} / 7 END, ${g} % 2 = 0, DATE '2020-01-01' + INTERVAL (${g} % 1500) DAY,
  TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (${g} * 1001) MICROSECOND,
  CASE WHEN ${g} % 5 = 0 THEN NULL ELSE TIMESTAMP '2024-01-01 00:00:00' + INTERVAL ${g} SECOND END,
  CONCAT('label-', ${g}), JSON_OBJECT('g', ${g}), ${updated}`;

describe('mariadb → parquet (native mysql source, real pipeline)', () => {
  it('1M rows with every mapped type: exact count, types and values in DuckDB', async () => {
    await db.query('DROP TABLE IF EXISTS events_1m');
    await db.query(`CREATE TABLE events_1m (${COLUMNS})`);
    await db.query(
      `INSERT INTO events_1m SELECT ${ROW('seq', "TIMESTAMP '2024-06-01 00:00:00' + INTERVAL seq MICROSECOND")}
         FROM seq_1_to_1000000`,
    );
    const out = await dir('my1m');
    const { job, report } = await runDbJob(
      'db-mysql-events.yaml',
      { ...env, DB_TABLE: 'events_1m', OUT_DIR: out },
      await dir('my1m-state'),
    );
    expect(report.errors).toEqual([]);
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
              count(ratio)::VARCHAR AS ratios, sum(active::INT)::VARCHAR AS active,
              sum(epoch_us(created_at))::VARCHAR AS created, sum(epoch_us(seen_at))::VARCHAR AS seen,
              strftime(max(updated_at), '%Y-%m-%d %H:%M:%S.%f') AS umax
         FROM ${parquet(out)}`,
    );
    const [wantRows] = await db.query(
      `SELECT CAST(count(*) AS CHAR) AS n, CAST(count(DISTINCT id) AS CHAR) AS ids, CAST(sum(amount) AS CHAR) AS amount,
              CAST(count(ratio) AS CHAR) AS ratios, CAST(sum(active) AS CHAR) AS active,
              CAST(sum(CAST(UNIX_TIMESTAMP(created_at) * 1000000 AS DECIMAL(30,0))) AS CHAR) AS created,
              CAST(sum(CAST(UNIX_TIMESTAMP(seen_at) * 1000000 AS DECIMAL(30,0))) AS CHAR) AS seen,
              DATE_FORMAT(max(updated_at), '%Y-%m-%d %H:%i:%s.%f') AS umax
         FROM events_1m`,
    );
    expect(got).toEqual((wantRows as Record<string, string>[])[0]);
    const st = await readState(job);
    expect(st['events.updated_at']).toMatchObject({
      last_value: '2024-06-01T00:00:01.000000',
      last_pk: 1_000_000,
    });
  });

  it('three incremental runs with inserts and updates: every row version exactly once, boundary ties kept', async () => {
    await db.query('DROP TABLE IF EXISTS inc_events, versions');
    await db.query(`CREATE TABLE inc_events (${COLUMNS})`);
    await db.query('CREATE TABLE versions (id BIGINT, updated_at DATETIME(6), PRIMARY KEY (id, updated_at))');
    const snapshot = () => db.query('INSERT IGNORE INTO versions SELECT id, updated_at FROM inc_events');
    const ts = (expr: string) => `TIMESTAMP '2024-03-01 12:00:00' + INTERVAL (${expr}) MICROSECOND`;
    await db.query(`INSERT INTO inc_events SELECT ${ROW('seq', ts('seq DIV 10'))} FROM seq_1_to_5000`);
    await snapshot();
    const out = await dir('myinc');
    const state = await dir('myinc-state');
    const runEnv = { ...env, DB_TABLE: 'inc_events', OUT_DIR: out };

    const r1 = await runDbJob('db-mysql-incremental.yaml', runEnv, state);
    expect(r1.report.errors).toEqual([]);
    expect(r1.report.rows.written).toBe(5000);
    expect((await readState(r1.job))['events.updated_at']).toMatchObject({
      last_value: '2024-03-01T12:00:00.000500',
      last_pk: 5000,
    });

    await db.query(`INSERT INTO inc_events SELECT ${ROW('seq', ts('500'))} FROM seq_5001_to_5004`);
    await db.query(`INSERT INTO inc_events SELECT ${ROW('seq', ts('seq'))} FROM seq_5005_to_7000`);
    await db.query(
      `UPDATE inc_events SET updated_at = ${ts('100000 + id')}, label = 'updated' WHERE id % 5 = 0 AND id <= 5000`,
    );
    await snapshot();
    const r2 = await runDbJob('db-mysql-incremental.yaml', runEnv, state);
    expect(r2.report.errors).toEqual([]);
    expect(r2.report.rows.written).toBe(4 + 1996 + 1000);

    await db.query(`UPDATE inc_events SET updated_at = ${ts('200000 + id')} WHERE id % 50 = 0 OR id = 6001`);
    await db.query(`INSERT INTO inc_events SELECT ${ROW('seq', ts('300000 + seq'))} FROM seq_7001_to_7500`);
    await snapshot();
    const r3 = await runDbJob('db-mysql-incremental.yaml', runEnv, state);
    expect(r3.report.errors).toEqual([]);
    expect(r3.report.rows.written).toBe(140 + 1 + 500);

    const r4 = await runDbJob('db-mysql-incremental.yaml', runEnv, state);
    expect(r4.report.status).toBe('nothing_new');

    const [vrows] = await db.query(
      `SELECT CONCAT(id, '|', CAST(UNIX_TIMESTAMP(updated_at) * 1000000 AS DECIMAL(30,0))) AS v FROM versions`,
    );
    const versions = (vrows as { v: string }[]).map((r) => r.v);
    const seen = await visibleVersions(out);
    expect(seen.length).toBe(versions.length);
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(new Set(versions));
    expect(versions.length).toBe(5000 + 3000 + 641);
  });

  it('a run interrupted midway commits nothing and the rerun loses and repeats nothing', async () => {
    await db.query('DROP TABLE IF EXISTS kill_events');
    await db.query(`CREATE TABLE kill_events (${COLUMNS})`);
    const ts = (expr: string) => `TIMESTAMP '2024-04-01 00:00:00' + INTERVAL (${expr}) MICROSECOND`;
    await db.query(`INSERT INTO kill_events SELECT ${ROW('seq', ts('seq * 1000'))} FROM seq_1_to_3000`);
    const out = await dir('mykill');
    const state = await dir('mykill-state');
    const runEnv = { ...env, DB_TABLE: 'kill_events', OUT_DIR: out };
    const first = await runDbJob('db-mysql-incremental.yaml', runEnv, state);
    expect(first.report.rows.written).toBe(3000);
    const before = await readState(first.job);

    await db.query(`INSERT INTO kill_events SELECT ${ROW('seq', ts('seq * 1000'))} FROM seq_3001_to_8000`);
    await db.query(`UPDATE kill_events SET updated_at = ${ts('100000000 + id')} WHERE id <= 100`);
    const ac = new AbortController();
    hooks.onBatch = (n) => {
      if (n === 2) ac.abort(new Error('killed by the test'));
    };
    try {
      const killed = await runDbJob('db-mysql-incremental.yaml', runEnv, state, ac.signal);
      expect(killed.report.status).toBe('interrupted');
      expect(await readState(killed.job)).toEqual(before);
    } finally {
      hooks.onBatch = undefined;
    }
    expect((await visibleVersions(out)).length).toBe(3000);
    const rerun = await runDbJob('db-mysql-incremental.yaml', runEnv, state);
    expect(rerun.report.errors).toEqual([]);
    expect(rerun.report.rows.written).toBe(5100);
    const seen = await visibleVersions(out);
    expect(seen.length).toBe(8100);
    expect(new Set(seen).size).toBe(8100);
  });

  it('the employees seed dumps (departments, dept_manager) load and ingest', async () => {
    await db.query('DROP TABLE IF EXISTS dept_manager, departments');
    await db.query(
      `CREATE TABLE departments (dept_no CHAR(4) NOT NULL PRIMARY KEY, dept_name VARCHAR(40) NOT NULL UNIQUE)`,
    );
    await db.query(`CREATE TABLE dept_manager (emp_no INT NOT NULL, dept_no CHAR(4) NOT NULL COMMENT 'department',
      from_date DATE NOT NULL, to_date DATE NOT NULL, PRIMARY KEY (emp_no, dept_no))`);
    for (const f of ['load_departments.dump', 'load_dept_manager.dump']) {
      await db.query(await readFile(path.join(REPO, 'tests/fixtures/data/test_db', f), 'utf8'));
    }
    const out = await dir('myseed');
    const { report } = await runDbJob(
      'db-mysql-dept-manager.yaml',
      { ...env, OUT_DIR: out },
      await dir('myseed-state'),
    );
    expect(report.errors).toEqual([]);
    expect(report.rows.written).toBe(24);
    expect(hooks.last?.sourceTags?.()).toEqual({ emp_no: 'primary_key', dept_no: 'department' });
    const rows = await duck<{ emp_no: number; dept_no: string; from_date: string; to_date: string }>(
      `SELECT emp_no::INT AS emp_no, dept_no, from_date::VARCHAR AS from_date, to_date::VARCHAR AS to_date FROM ${parquet(out)} ORDER BY emp_no`,
    );
    expect(rows).toHaveLength(24);
    expect(rows[0]).toEqual({
      emp_no: 110022,
      dept_no: 'd001',
      from_date: '1985-01-01',
      to_date: '1991-10-01',
    });
    expect(rows.filter((r) => r.to_date === '9999-01-01')).toHaveLength(9);
    expect(await parquetTypes(out)).toEqual({
      emp_no: 'BIGINT',
      dept_no: 'VARCHAR',
      from_date: 'DATE',
      to_date: 'DATE',
    });
  });
});
