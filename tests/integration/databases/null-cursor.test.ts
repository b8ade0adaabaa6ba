/**
 * Cursor columns with NULLs (MariaDB and Postgres, through the CLI). The semantics, as the
 * original's (`WHERE cursor >= last` never matches NULL) and documented in docs/migrating.md:
 * a run without a position (the first) reads every row, NULL cursors included; later runs read
 * rows whose cursor is after the position, so a NULL-cursor row is read exactly once, by the first
 * run, and never again. Three runs, no duplicate row — also when the first run saw only NULLs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportOf, runCli } from '../../helpers/cli.js';
import { duck } from '../../helpers/duckdb.js';
import { startService } from './harness.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-null-cursor-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

interface Db {
  env: Record<string, string>;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

async function postgres(): Promise<Db> {
  const env = startService('postgres');
  const client = new pg.Client({
    host: env.PGHOST,
    port: Number(env.PGPORT),
    user: env.PGUSER,
    password: env.PGPASSWORD,
    database: env.PGDATABASE,
  });
  await client.connect();
  return { env, exec: async (sql) => void (await client.query(sql)), close: () => client.end() };
}

async function mariadb(): Promise<Db> {
  const env = startService('mariadb');
  const conn = await mysql.createConnection({
    host: env.MYSQL_HOST,
    port: Number(env.MYSQL_PORT),
    user: env.MYSQL_USER,
    password: env.MYSQL_PASSWORD,
    database: env.MYSQL_DB,
    multipleStatements: true,
  });
  return { env, exec: async (sql) => void (await conn.query(sql)), close: () => conn.end() };
}

async function ids(out: string): Promise<number[]> {
  const rows = await duck<{ id: bigint }>(`SELECT id FROM read_parquet('${out}/**/*.parquet') ORDER BY id`);
  return rows.map((r) => Number(r.id));
}

for (const [name, open, job, tsType] of [
  ['Postgres', postgres, 'db-pg-null-cursor.yaml', 'timestamp(6)'],
  ['MariaDB', mariadb, 'db-mysql-null-cursor.yaml', 'DATETIME(6)'],
] as const) {
  describe(`${name}: a cursor column with NULLs`, () => {
    let db: Db;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());

    async function run(table: string, dir: string) {
      const r = await runCli(
        ['run', '--config', `tests/fixtures/jobs/${job}`, '--state-dir', path.join(dir, 'state'), '--json'],
        { env: { ...db.env, DB_TABLE: table, OUT_DIR: path.join(dir, 'out') } },
      );
      expect(r.code, r.stderr).toBe(0);
      return reportOf(r);
    }

    const ts = (s: number) => `'2024-05-01 10:00:${String(s).padStart(2, '0')}'`;

    it('three runs: NULL-cursor rows are read once, by the first run; no duplicate row', async () => {
      const table = `compat_nulls_${name.toLowerCase()}`;
      const dir = path.join(tmp, table);
      await db.exec(`DROP TABLE IF EXISTS ${table}`);
      await db.exec(
        `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, note VARCHAR(20), updated_at ${tsType} NULL)`,
      );
      await db.exec(
        `INSERT INTO ${table} VALUES (1,'a',${ts(1)}),(2,'b',NULL),(3,'c',${ts(3)}),(4,'d',NULL),(5,'e',${ts(5)})`,
      );
      expect((await run(table, dir)).rows.written).toBe(5);

      // New rows after the position, and one more NULL-cursor row (not read: it is before any position).
      await db.exec(`INSERT INTO ${table} VALUES (6,'f',${ts(6)}),(7,'g',NULL),(8,'h',${ts(8)})`);
      expect((await run(table, dir)).rows.written).toBe(2);

      const third = await run(table, dir);
      expect(third.status).toBe('nothing_new');
      expect(await ids(path.join(dir, 'out'))).toEqual([1, 2, 3, 4, 5, 6, 8]);
    });

    it('a first run that sees only NULL cursors is not repeated by the next runs', async () => {
      const table = `compat_allnull_${name.toLowerCase()}`;
      const dir = path.join(tmp, table);
      await db.exec(`DROP TABLE IF EXISTS ${table}`);
      await db.exec(
        `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, note VARCHAR(20), updated_at ${tsType} NULL)`,
      );
      await db.exec(`INSERT INTO ${table} VALUES (1,'a',NULL),(2,'b',NULL),(3,'c',NULL)`);
      expect((await run(table, dir)).rows.written).toBe(3);

      await db.exec(`INSERT INTO ${table} VALUES (4,'d',${ts(4)}),(5,'e',NULL)`);
      expect((await run(table, dir)).rows.written).toBe(1);
      expect((await run(table, dir)).status).toBe('nothing_new');
      expect(await ids(path.join(dir, 'out'))).toEqual([1, 2, 3, 4]);
    });
  });
}
