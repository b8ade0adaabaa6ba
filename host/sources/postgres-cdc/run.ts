/**
 * One CDC run of a Postgres table into Iceberg (`dativo run` with `source.type: postgres_cdc`):
 * the first run creates the publication and the slot and copies the table inside the slot's
 * exported snapshot; every run then reads the changes available (up to a heartbeat it writes
 * itself), nets them per batch by key, commits each batch as one Iceberg snapshot carrying the
 * position, and only then advances the slot. After a crash between commit and advance, the
 * position read back from the table skips what was already committed.
 */
import pg from 'pg';
import type { ResolvedJob } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { type CdcTable, cdcPositionOf, commitCdcBatch, openCdcTable } from '../../sinks/iceberg/cdc.js';
import { openIcebergTarget } from '../../sinks/iceberg/target.js';
import { newRunId } from '../../sinks/run-id.js';
import { pgClientConfig } from '../postgres/connect.js';
import { quoteIdent } from '../postgres/types.js';
import { sqlError } from '../sql/errors.js';
import { applyChanges, type DecodedBatch } from './batch.js';
import { formatLsn, parseLsn } from './pgoutput.js';
import { TextRowBatcher } from './rows.js';
import {
  advanceSlot,
  cdcNames,
  createSlotWithSnapshot,
  ensurePublication,
  heartbeat,
  peekChanges,
  slotInfo,
  walLevel,
} from './slot.js';
import { type CdcTableInfo, describeCdcTable } from './table.js';

export interface CdcRunOptions {
  logger: Logger;
  signal?: AbortSignal;
  /** Changes per peek (whole transactions are always kept together). */
  batchChanges?: number;
  /** Rows per FETCH of the initial copy. */
  copyBatchRows?: number;
  /** Test hook: runs after each Iceberg commit, before the slot is advanced (throw = crash). */
  afterCommit?: () => void | Promise<void>;
}

export interface CdcRunResult {
  copiedRows: number;
  changes: number;
  commits: number;
  position: string;
}

/** The one table a CDC job captures: `source.table`, or the single entry of `source.tables`. */
export function cdcTableName(job: Pick<ResolvedJob, 'source' | 'file'>): string {
  const cfg = job.source.config;
  const list = Array.isArray(cfg.tables) ? (cfg.tables as { name?: unknown }[]) : [];
  const name = typeof cfg.table === 'string' ? cfg.table : list.length === 1 ? list[0]?.name : undefined;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new DativoError(
      'CONFIG_INVALID',
      'postgres_cdc captures one table: set source.table (or a single source.tables entry with a name)',
      { location: { file: job.file, keyPath: 'source.table' } },
    );
  }
  return name.trim();
}

export async function connectCdc(job: ResolvedJob): Promise<pg.Client> {
  const c = new pg.Client(pgClientConfig(job.source));
  c.on('error', () => {});
  try {
    await c.connect();
    // Text forms as rows.ts reads them, whatever the server's defaults.
    await c.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET standard_conforming_strings = on");
  } catch (err) {
    await c.end().catch(() => {});
    throw sqlError('postgres', err, 'cannot connect');
  }
  return c;
}

export async function requireLogicalWal(c: pg.Client): Promise<void> {
  const level = await walLevel(c);
  if (level !== 'logical') {
    throw new DativoError(
      'CONFIG_INVALID',
      `postgres_cdc needs wal_level=logical on the server (it is ${level}); set it in postgresql.conf and restart Postgres`,
    );
  }
}

export async function runPostgresCdc(job: ResolvedJob, opts: CdcRunOptions): Promise<CdcRunResult> {
  const names = cdcNames(job.tenantId, job.name);
  const c = await connectCdc(job);
  const target = openIcebergTarget(job);
  try {
    await requireLogicalWal(c);
    const info = await describeCdcTable(c, cdcTableName(job));
    await ensurePublication(c, names.publication, info.rel.from);
    const batcher = new TextRowBatcher(info.rel.columns, info.notNull);
    const table = await openCdcTable(target, batcher.schema, info.primaryKey, {});
    const result: CdcRunResult = { copiedRows: 0, changes: 0, commits: 0, position: '' };
    let position = cdcPositionOf(table);
    const slot = await slotInfo(c, names.slot);
    if (position === undefined) {
      // No copy was committed: a slot left by a failed first run has no usable snapshot any more.
      if (slot) await c.query('SELECT pg_drop_replication_slot($1)', [names.slot]);
      position = await initialCopy(job, names.slot, info, batcher, table, opts, result);
    } else if (!slot) {
      throw new DativoError(
        'SOURCE_NOT_FOUND',
        `postgres_cdc: replication slot ${names.slot} is gone (dropped, or invalidated for retaining too much WAL), so changes after ${position} are lost; run \`dativo cdc drop\`, drop the Iceberg table ${table.name} and run again to copy it anew`,
      );
    } else if (slot.walStatus === 'lost') {
      throw new DativoError(
        'SOURCE_NOT_FOUND',
        `postgres_cdc: replication slot ${names.slot} was invalidated (wal_status lost); changes after ${position} are gone: drop the slot and the Iceberg table and run again`,
      );
    }
    position = await stream(job, c, names, info, batcher, table, position, opts, result);
    result.position = position;
    return result;
  } finally {
    target.close();
    await c.end().catch(() => {});
  }
}

/** Copies the table inside the new slot's exported snapshot, streaming (a cursor), as one commit. */
async function initialCopy(
  job: ResolvedJob,
  slot: string,
  info: CdcTableInfo,
  batcher: TextRowBatcher,
  table: CdcTable,
  opts: CdcRunOptions,
  result: CdcRunResult,
): Promise<string> {
  const created = await createSlotWithSnapshot(pgClientConfig(job.source), slot);
  const copy = await connectCdc(job);
  try {
    await copy.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await copy.query(`SET TRANSACTION SNAPSHOT '${created.snapshot.replaceAll("'", "''")}'`);
    const cols = info.rel.columns.map((x) => `q.${quoteIdent(x.name)}::text`).join(', ');
    await copy.query(`DECLARE dativo_cdc_copy NO SCROLL CURSOR FOR SELECT ${cols} FROM ${info.rel.from} q`);
    const n = opts.copyBatchRows ?? 50_000;
    async function* batches() {
      for (;;) {
        if (opts.signal?.aborted) throw new DativoError('INTERRUPTED', 'interrupted; nothing was committed');
        const r = await copy.query<(string | null)[]>({
          text: `FETCH ${n} FROM dativo_cdc_copy`,
          rowMode: 'array',
        });
        if (r.rows.length === 0) return;
        result.copiedRows += r.rows.length;
        yield batcher.batch(r.rows);
      }
    }
    await commitCdcBatch(
      table,
      job,
      {
        rows: batches(),
        deletes: undefined,
        truncate: true,
        position: created.consistentPoint,
        runId: newRunId(),
        job: job.name,
        tenant: job.tenantId,
      },
      opts.logger,
    );
    await copy.query('COMMIT');
  } finally {
    await copy.end().catch(() => {});
    await created.conn.end().catch(() => {});
  }
  result.commits++;
  opts.logger.info(
    { rows: result.copiedRows, position: created.consistentPoint },
    'cdc: initial copy committed',
  );
  await opts.afterCommit?.();
  return created.consistentPoint;
}

/** Reads, nets, commits and acknowledges batches up to this run's heartbeat. */
async function stream(
  job: ResolvedJob,
  c: pg.Client,
  names: ReturnType<typeof cdcNames>,
  info: CdcTableInfo,
  batcher: TextRowBatcher,
  table: CdcTable,
  start: string,
  opts: CdcRunOptions,
  result: CdcRunResult,
): Promise<string> {
  let position = parseLsn(start);
  const upto = await heartbeat(c, names.slot);
  for (;;) {
    if (opts.signal?.aborted)
      throw new DativoError('INTERRUPTED', 'interrupted; nothing partial was committed');
    const raw = await peekChanges(c, names, upto, opts.batchChanges ?? 100_000);
    if (raw.length === 0) break;
    const decoded: DecodedBatch = applyChanges(raw, info, position);
    if (decoded.endLsn === undefined) break;
    if (decoded.changes > 0) {
      result.changes += decoded.changes;
      const fill = await fillUnchanged(c, info, decoded);
      const end = formatLsn(decoded.endLsn);
      await commitCdcBatch(
        table,
        job,
        {
          rows: [batcher.batch(fill)],
          deletes:
            decoded.net.deleteKeys.length > 0
              ? keyBatcher(info).batch(decoded.net.deleteKeys as (string | null)[][])
              : undefined,
          truncate: decoded.net.truncate,
          position: end,
          runId: newRunId(),
          job: job.name,
          tenant: job.tenantId,
        },
        opts.logger,
      );
      result.commits++;
      opts.logger.info({ changes: decoded.changes, position: end }, 'cdc: batch committed');
      await opts.afterCommit?.();
    }
    // Commit, then acknowledge: the slot moves only past what the table holds.
    await advanceSlot(c, names.slot, formatLsn(decoded.endLsn));
    position = decoded.endLsn;
    if (decoded.endLsn >= parseLsn(upto)) break;
  }
  return formatLsn(position);
}

function keyBatcher(info: CdcTableInfo): TextRowBatcher {
  const cols = info.key.map((k) => info.rel.columns.find((x) => x.name === k)).filter((x) => x !== undefined);
  return new TextRowBatcher(cols, new Set(info.primaryKey ?? []));
}

/**
 * Unchanged TOAST values with no earlier image in the batch: read the row's current values by
 * key. A row gone since (deleted later) keeps nulls there; that later delete removes it.
 */
async function fillUnchanged(
  c: pg.Client,
  info: CdcTableInfo,
  d: DecodedBatch,
): Promise<(string | null)[][]> {
  const rows = d.net.rows as (string | null | object)[][];
  if (d.net.needsFill.length > 0) {
    const keyIdx = info.key.map((k) => info.rel.columns.findIndex((x) => x.name === k));
    const cols = info.rel.columns.map((x) => `q.${quoteIdent(x.name)}::text`).join(', ');
    const where = info.key.map((k, i) => `q.${quoteIdent(k)} = $${i + 1}`).join(' AND ');
    for (const i of d.net.needsFill) {
      const row = rows[i] as (string | null | object)[];
      const r = await c.query<(string | null)[]>({
        text: `SELECT ${cols} FROM ${info.rel.from} q WHERE ${where}`,
        values: keyIdx.map((k) => row[k]),
        rowMode: 'array',
      });
      const now = r.rows[0];
      rows[i] = row.map((v, j) => (v !== null && typeof v === 'object' ? (now?.[j] ?? null) : v));
    }
  }
  return rows as (string | null)[][];
}
