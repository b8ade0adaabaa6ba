/**
 * The Postgres objects of one CDC job: its publication (the captured table) and its logical
 * replication slot (pgoutput), with their names derived from the tenant and job. `dativo check`
 * only reads these; `dativo run` creates them; `dativo cdc drop` removes them.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { DativoError } from '../../errors.js';
import { quoteIdent } from '../postgres/types.js';

export interface CdcNames {
  slot: string;
  publication: string;
}

/** Slot names allow [a-z0-9_] and 63 bytes; a hash keeps distinct jobs distinct after folding. */
export function cdcNames(tenant: string, job: string): CdcNames {
  const base = `${tenant}_${job}`
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 40);
  const hash = createHash('sha256').update(`${tenant}\0${job}`).digest('hex').slice(0, 8);
  const name = `dativo_${base}_${hash}`;
  return { slot: name, publication: name };
}

export async function walLevel(c: pg.Client): Promise<string> {
  return (await c.query<{ v: string }>("SELECT current_setting('wal_level') AS v")).rows[0]?.v ?? 'unknown';
}

export interface SlotInfo {
  confirmedFlush: string | null;
  walStatus: string | null;
  active: boolean;
  retainedBytes: string | null;
}

export async function slotInfo(c: pg.Client, slot: string): Promise<SlotInfo | undefined> {
  const r = await c.query<SlotInfo>(
    `SELECT confirmed_flush_lsn::text AS "confirmedFlush", wal_status AS "walStatus", active,
            pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text AS "retainedBytes"
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  return r.rows[0];
}

export async function publicationExists(c: pg.Client, name: string): Promise<boolean> {
  return ((await c.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [name])).rowCount ?? 0) > 0;
}

export async function ensurePublication(c: pg.Client, name: string, tableSql: string): Promise<void> {
  if (await publicationExists(c, name)) return;
  await c.query(`CREATE PUBLICATION ${quoteIdent(name)} FOR TABLE ${tableSql}`);
}

/**
 * Creates the slot on a replication connection with EXPORT_SNAPSHOT: the initial copy reads in
 * that snapshot (SET TRANSACTION SNAPSHOT), which is exactly the state before the slot's first
 * change, so copy and stream meet with no gap and no duplicate. The snapshot lives as long as
 * the returned connection does and it runs nothing else: close it once the copy's transaction has
 * imported the snapshot and finished.
 */
export async function createSlotWithSnapshot(
  config: pg.ClientConfig,
  slot: string,
): Promise<{ conn: pg.Client; snapshot: string; consistentPoint: string }> {
  const conn = new pg.Client({ ...config, replication: 'database' } as pg.ClientConfig);
  conn.on('error', () => {});
  await conn.connect();
  try {
    const r = await conn.query<{ consistent_point: string; snapshot_name: string }>(
      `CREATE_REPLICATION_SLOT ${quoteIdent(slot)} LOGICAL pgoutput EXPORT_SNAPSHOT`,
    );
    const row = r.rows[0];
    if (!row) throw new Error('CREATE_REPLICATION_SLOT returned no row');
    return { conn, snapshot: row.snapshot_name, consistentPoint: row.consistent_point };
  } catch (e) {
    await conn.end().catch(() => {});
    throw e;
  }
}

export interface RawChange {
  lsn: string;
  data: Buffer;
}

/**
 * Reads changes without consuming them (the slot moves only by `advanceSlot`, after the Iceberg
 * commit). Postgres returns whole transactions: it stops after the one holding the n-th change.
 */
export async function peekChanges(
  c: pg.Client,
  names: CdcNames,
  uptoLsn: string,
  maxChanges: number,
): Promise<RawChange[]> {
  const r = await c.query<RawChange>({
    text: `SELECT lsn::text AS lsn, data FROM pg_logical_slot_peek_binary_changes(
             $1, $2::pg_lsn, $3, 'proto_version', '1', 'publication_names', $4, 'messages', 'true')`,
    values: [names.slot, uptoLsn, maxChanges, names.publication],
  });
  return r.rows;
}

export async function advanceSlot(c: pg.Client, slot: string, lsn: string): Promise<void> {
  await c.query('SELECT pg_replication_slot_advance($1, $2::pg_lsn)', [slot, lsn]);
}

export const HEARTBEAT_PREFIX = 'dativo.cdc.heartbeat';

/**
 * A transactional logical message, committed with synchronous_commit=on: it flushes earlier
 * asynchronous commits (so the run sees them) and gives the slot a position to move to even when
 * no captured table changed (a slot that never moves retains WAL). Returns the WAL end after it.
 */
export async function heartbeat(c: pg.Client, slot: string): Promise<string> {
  await c.query('BEGIN');
  try {
    await c.query('SET LOCAL synchronous_commit = on');
    await c.query('SELECT pg_logical_emit_message(true, $1, $2)', [HEARTBEAT_PREFIX, slot]);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  }
  return (await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn as string;
}

/** Drops the slot and the publication; true for each that existed. */
export async function dropCdcObjects(
  c: pg.Client,
  names: CdcNames,
): Promise<{ slot: boolean; publication: boolean }> {
  const s = await slotInfo(c, names.slot);
  if (s?.active) {
    throw new DativoError(
      'STATE_LOCKED',
      `replication slot ${names.slot} is in use by a running job; stop it first`,
    );
  }
  if (s) await c.query('SELECT pg_drop_replication_slot($1)', [names.slot]);
  const p = await publicationExists(c, names.publication);
  if (p) await c.query(`DROP PUBLICATION ${quoteIdent(names.publication)}`);
  return { slot: s !== undefined, publication: p };
}
