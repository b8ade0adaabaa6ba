/**
 * The store's tables, declared once for Kysely and created with its schema builder, so SQLite and
 * PostgreSQL get the same tables from the same code. Times are ISO-8601 UTC text (they sort and
 * compare as text in both databases); counters are bigint (a run can write more than 2 GiB).
 */
import type { Kysely } from 'kysely';

export interface RunsTable {
  id: string;
  job: string;
  job_file: string;
  tenant: string;
  trigger: string;
  schedule: string | null;
  origin: string;
  host: string;
  status: string;
  exit_code: number | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | string | null;
  attempts: number;
  rows_read: number | string;
  rows_written: number | string;
  rows_invalid: number | string;
  bytes_read: number | string;
  bytes_written: number | string;
  error_code: string | null;
  error_message: string | null;
  peak_rss_mb: number | null;
  /** JSON: streams, files, snapshot, state before/after. */
  detail: string;
}

export interface RunLogsTable {
  run_id: string;
  seq: number;
  at: string;
  level: string;
  message: string;
  line: string;
}

export interface StateCacheTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface JobLocksTable {
  key: string;
  token: string;
  holder: string;
  fence: number | string;
  expires_at: number | string;
}

export interface StoreDatabase {
  dativo_runs: RunsTable;
  dativo_run_logs: RunLogsTable;
  dativo_state_cache: StateCacheTable;
  dativo_job_locks: JobLocksTable;
}

/** Create the tables and indexes that do not exist yet (idempotent, safe from several processes). */
export async function migrate(db: Kysely<StoreDatabase>): Promise<void> {
  await db.schema
    .createTable('dativo_runs')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('job_file', 'text', (c) => c.notNull())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('schedule', 'text')
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('exit_code', 'integer')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('duration_ms', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('rows_read', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('rows_written', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('rows_invalid', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_read', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_written', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('peak_rss_mb', 'integer')
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('dativo_runs_started')
    .ifNotExists()
    .on('dativo_runs')
    .column('started_at')
    .execute();
  await db.schema
    .createIndex('dativo_runs_job')
    .ifNotExists()
    .on('dativo_runs')
    .columns(['job', 'started_at'])
    .execute();
  await db.schema
    .createTable('dativo_run_logs')
    .ifNotExists()
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('line', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('dativo_run_logs_pk', ['run_id', 'seq'])
    .execute();
  await db.schema
    .createTable('dativo_state_cache')
    .ifNotExists()
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('dativo_job_locks')
    .ifNotExists()
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('fence', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}

/** `now` in the column's text form. */
export const isoNow = () => new Date().toISOString();
