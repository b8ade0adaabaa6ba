/**
 * The store's queries, written once with Kysely for both backends (sqlite.ts, postgres.ts only
 * make the connection and pick a lock). A run is one row: the columns `dativo runs list` filters
 * and sorts on, and a JSON `detail` with what only `runs show` and the console need.
 */
import type { Kysely, Selectable } from 'kysely';
import type { RunsTable, StoreDatabase } from './schema.js';
import { isoNow } from './schema.js';
import type { HistoryStore, LogLine, RunEntry, RunFilter } from './types.js';

type Db = Kysely<StoreDatabase>;

/** Postgres returns bigint as text: every counter goes through this. */
const num = (v: number | string | null | undefined): number =>
  v === null || v === undefined ? 0 : Number(v);

function toRow(run: RunEntry): RunsTable {
  return {
    id: run.id,
    job: run.job,
    job_file: run.jobFile,
    tenant: run.tenant,
    trigger: run.trigger,
    schedule: run.schedule ?? null,
    origin: run.origin,
    host: run.host,
    status: run.status,
    exit_code: run.exitCode ?? null,
    started_at: run.startedAt,
    finished_at: run.finishedAt ?? null,
    duration_ms: run.durationMs ?? null,
    attempts: run.attempts,
    rows_read: run.rows.read,
    rows_written: run.rows.written,
    rows_invalid: run.rows.invalid,
    bytes_read: run.bytes.read,
    bytes_written: run.bytes.written,
    error_code: run.errorCode ?? null,
    error_message: run.errorMessage ?? null,
    peak_rss_mb: run.peakRssMb ?? null,
    detail: JSON.stringify({
      streams: run.streams,
      files: run.files,
      snapshot: run.snapshot,
      stateBefore: run.stateBefore,
      stateAfter: run.stateAfter,
    }),
  };
}

function fromRow(row: Selectable<RunsTable>): RunEntry {
  const detail = JSON.parse(row.detail) as Pick<
    RunEntry,
    'streams' | 'files' | 'snapshot' | 'stateBefore' | 'stateAfter'
  >;
  const optional = {
    ...(row.schedule !== null ? { schedule: row.schedule } : {}),
    ...(row.exit_code !== null ? { exitCode: num(row.exit_code) } : {}),
    ...(row.finished_at !== null ? { finishedAt: row.finished_at } : {}),
    ...(row.duration_ms !== null ? { durationMs: num(row.duration_ms) } : {}),
    ...(row.error_code !== null ? { errorCode: row.error_code } : {}),
    ...(row.error_message !== null ? { errorMessage: row.error_message } : {}),
    ...(row.peak_rss_mb !== null ? { peakRssMb: num(row.peak_rss_mb) } : {}),
    ...(detail.snapshot !== undefined ? { snapshot: detail.snapshot } : {}),
    ...(detail.stateBefore !== undefined ? { stateBefore: detail.stateBefore } : {}),
    ...(detail.stateAfter !== undefined ? { stateAfter: detail.stateAfter } : {}),
  };
  return {
    id: row.id,
    job: row.job,
    jobFile: row.job_file,
    tenant: row.tenant,
    trigger: row.trigger,
    origin: row.origin as RunEntry['origin'],
    host: row.host,
    status: row.status,
    startedAt: row.started_at,
    attempts: num(row.attempts),
    rows: { read: num(row.rows_read), written: num(row.rows_written), invalid: num(row.rows_invalid) },
    bytes: { read: num(row.bytes_read), written: num(row.bytes_written) },
    streams: detail.streams ?? [],
    files: detail.files ?? [],
    ...optional,
  };
}

/** Everything but the locks, which differ per backend. */
export function historyQueries(db: Db): Omit<HistoryStore, 'kind' | 'where' | 'acquireLock' | 'close'> {
  return {
    async saveRun(run) {
      const row = toRow(run);
      const { id: _id, ...update } = row;
      await db
        .insertInto('dativo_runs')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet(update))
        .execute();
    },

    async appendLogs(runId, lines) {
      if (lines.length === 0) return;
      const last = await db
        .selectFrom('dativo_run_logs')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('run_id', '=', runId)
        .executeTakeFirst();
      const first = num(last?.seq as number | null | undefined) + 1;
      await db
        .insertInto('dativo_run_logs')
        .values(lines.map((l, i) => ({ run_id: runId, seq: first + i, ...l })))
        .execute();
    },

    async listRuns(filter: RunFilter = {}) {
      let q = db.selectFrom('dativo_runs').selectAll();
      if (filter.job) q = q.where('job', '=', filter.job);
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.since) q = q.where('started_at', '>=', filter.since.toISOString());
      const rows = await q
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(filter.limit ?? 100)
        .execute();
      return rows.map(fromRow);
    },

    async getRun(id) {
      const row = await db.selectFrom('dativo_runs').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? fromRow(row) : undefined;
    },

    async runLogs(id): Promise<LogLine[]> {
      return db
        .selectFrom('dativo_run_logs')
        .select(['at', 'level', 'message', 'line'])
        .where('run_id', '=', id)
        .orderBy('seq')
        .execute();
    },

    async prune(before) {
      const cutoff = before.toISOString();
      return db.transaction().execute(async (trx) => {
        const old = trx
          .selectFrom('dativo_runs')
          .select('id')
          .where('started_at', '<', cutoff)
          .where('finished_at', 'is not', null);
        await trx.deleteFrom('dativo_run_logs').where('run_id', 'in', old).execute();
        const res = await trx
          .deleteFrom('dativo_runs')
          .where('started_at', '<', cutoff)
          .where('finished_at', 'is not', null)
          .executeTakeFirst();
        return Number(res.numDeletedRows);
      });
    },

    async readState(key) {
      const row = await db
        .selectFrom('dativo_state_cache')
        .select('value')
        .where('key', '=', key)
        .executeTakeFirst();
      return row ? (JSON.parse(row.value) as unknown) : undefined;
    },

    async writeState(key, value) {
      const row = { key, value: JSON.stringify(value), updated_at: isoNow() };
      await db
        .insertInto('dativo_state_cache')
        .values(row)
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: row.value, updated_at: row.updated_at }))
        .execute();
    },
  };
}
