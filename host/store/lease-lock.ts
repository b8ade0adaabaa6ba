/**
 * A job lock as a lease row, for the SQLite store (processes on one machine sharing the file):
 * the same contract as the Redis lock (orchestrator/redis-lock.ts). Taking it is one atomic upsert
 * that only overwrites an expired lease; a timer renews it (compare-and-extend on the token) and
 * aborts `lost` when the lease turned out to be someone else's; release is compare-and-expire.
 * Every new holder increments `fence`, so a stale holder can be told from the current one.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { type Kysely, sql } from 'kysely';
import { DativoError } from '../errors.js';
import type { StoreDatabase } from './schema.js';
import type { StoreLock, StoreLockOptions } from './types.js';

export function lockToken(holder: string | undefined): { holder: string; token: string } {
  const who = holder ?? `${os.hostname()}:${process.pid}`;
  return { holder: who, token: `${who}:${randomBytes(12).toString('hex')}` };
}

export function lockedError(key: string, holder: string | undefined, where: string): DativoError {
  return new DativoError(
    'STATE_LOCKED',
    `another run of this job is in progress: the lock ${key} in ${where} is held by ${holder ?? 'someone'}`,
    { retryable: true, details: { lockKey: key, holder } },
  );
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function acquireLeaseLock(
  db: Kysely<StoreDatabase>,
  key: string,
  where: string,
  options: StoreLockOptions = {},
): Promise<StoreLock> {
  const ttl = options.ttlMs ?? 30_000;
  const every = Math.max(50, Math.floor(ttl / 3));
  const deadline = Date.now() + (options.waitMs ?? 0);
  const { holder, token } = lockToken(options.holder);
  let fence = 0;
  for (;;) {
    const now = Date.now();
    await db
      .insertInto('dativo_job_locks')
      .values({ key, token, holder, fence: 1, expires_at: now + ttl })
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({ token, holder, expires_at: now + ttl, fence: sql`dativo_job_locks.fence + 1` })
          .where('dativo_job_locks.expires_at', '<', now),
      )
      .execute();
    const row = await db
      .selectFrom('dativo_job_locks')
      .select(['token', 'holder', 'fence'])
      .where('key', '=', key)
      .executeTakeFirst();
    if (row?.token === token) {
      fence = Number(row.fence);
      break;
    }
    if (Date.now() >= deadline) throw lockedError(key, row?.holder, where);
    await sleep(Math.min(options.pollMs ?? 250, Math.max(1, deadline - Date.now())));
  }

  const lost = new AbortController();
  let released = false;
  const timer = setInterval(() => {
    db.updateTable('dativo_job_locks')
      .set({ expires_at: Date.now() + ttl })
      .where('key', '=', key)
      .where('token', '=', token)
      .executeTakeFirst()
      .then(
        (r) => {
          if (Number(r.numUpdatedRows) !== 1 && !released) {
            clearInterval(timer);
            lost.abort(new Error(`lost the lock ${key}: it expired and may be held by another run`));
          }
        },
        // A failed renewal (database busy) is retried at the next tick.
        () => {},
      );
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
      // Expire rather than delete: the row keeps the fence, so the next holder's is higher.
      await db
        .updateTable('dativo_job_locks')
        .set({ expires_at: 0 })
        .where('key', '=', key)
        .where('token', '=', token)
        .execute();
    },
  };
}

/**
 * Record a new holder of a lock that is held by other means (a Postgres advisory lock) and return
 * its fence: one more than the previous holder's.
 */
export async function bumpFence(
  db: Kysely<StoreDatabase>,
  key: string,
  token: string,
  holder: string,
): Promise<number> {
  const row = await db
    .insertInto('dativo_job_locks')
    .values({ key, token, holder, fence: 1, expires_at: 0 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({ token, holder, fence: sql`dativo_job_locks.fence + 1` }),
    )
    .returning('fence')
    .executeTakeFirstOrThrow();
  return Number(row.fence);
}
