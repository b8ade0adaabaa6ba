/**
 * The shared store: PostgreSQL by URL (`--store postgres://…`), the one history of every worker
 * and orchestrator on every machine. Job locks are session advisory locks held on a connection of
 * their own: Postgres frees them the moment that session ends, so a crashed holder's job is free
 * at once (no lease to wait out). A heartbeat on that connection aborts `lost` when the session
 * dies under a living process, exactly like a Redis lock that could not be renewed; each new holder
 * increments the key's fence in dativo_job_locks, so a late writer can be told from the current one.
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { DativoError } from '../errors.js';
import { bumpFence, lockedError, lockToken, sleep } from './lease-lock.js';
import { historyQueries } from './queries.js';
import { migrate, type StoreDatabase } from './schema.js';
import type { HistoryStore, StoreLock, StoreLockOptions } from './types.js';

/** The URL without its password, for messages and `where`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** Any constant: serializes the CREATE TABLE IF NOT EXISTS of processes starting together. */
const MIGRATION_LOCK = 72_617_001;

export async function openPostgresStore(url: string): Promise<HistoryStore> {
  const where = redactUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  // An idle client whose server went away must not crash the process.
  pool.on('error', () => {});
  const db = new Kysely<StoreDatabase>({ dialect: new PostgresDialect({ pool }) });
  try {
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
      await migrate(trx);
    });
  } catch (err) {
    await db.destroy().catch(() => {});
    throw new DativoError('CONFIG_INVALID', `cannot open the run store ${where}: ${(err as Error).message}`);
  }
  // The pool's end waits for every checked-out client, and a lock holds one: a run that failed
  // before releasing its lock would hang close for ever. close releases what is still held first.
  const held = new Set<StoreLock>();
  return {
    kind: 'postgres',
    where,
    ...historyQueries(db),
    async acquireLock(key, options) {
      const lock = await acquireAdvisoryLock(pool, db, key, where, options);
      held.add(lock);
      return {
        ...lock,
        async release() {
          held.delete(lock);
          await lock.release();
        },
      };
    },
    async close() {
      await Promise.all([...held].map((lock) => lock.release()));
      held.clear();
      await db.destroy();
    },
  };
}

async function acquireAdvisoryLock(
  pool: pg.Pool,
  db: Kysely<StoreDatabase>,
  key: string,
  where: string,
  options: StoreLockOptions = {},
): Promise<StoreLock> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  const { holder, token } = lockToken(options.holder);
  const client = await pool.connect();
  const lost = new AbortController();
  const loseWith = (why: string) => {
    if (!lost.signal.aborted) lost.abort(new Error(`lost the lock ${key}: ${why}`));
  };
  client.on('error', (err) => loseWith(err.message));
  try {
    for (;;) {
      const { rows } = await client.query<{ ok: boolean }>(
        'select pg_try_advisory_lock(hashtextextended($1, 0)) as ok',
        [key],
      );
      if (rows[0]?.ok) break;
      if (Date.now() >= deadline) {
        const row = await db
          .selectFrom('dativo_job_locks')
          .select('holder')
          .where('key', '=', key)
          .executeTakeFirst();
        throw lockedError(key, row?.holder, where);
      }
      await sleep(Math.min(options.pollMs ?? 250, Math.max(1, deadline - Date.now())));
    }
  } catch (err) {
    client.release();
    throw err;
  }
  const fence = await bumpFence(db, key, token, holder);
  const every = Math.max(50, Math.floor((options.ttlMs ?? 30_000) / 3));
  let released = false;
  const timer = setInterval(() => {
    client.query('select 1').catch((err: Error) => {
      clearInterval(timer);
      if (!released) loseWith(`its database session ended (${err.message})`);
    });
  }, every);
  timer.unref();
  return {
    key,
    fence,
    lost: lost.signal,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      try {
        await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]);
        client.release();
      } catch (err) {
        // The session is gone, and with it the lock.
        client.release(err as Error);
      }
    },
  };
}
