/**
 * The job lock of a shared PostgreSQL store, taken by `dativo run`, the runs of `dativo start` and
 * the attempts of a `dativo worker` on top of their own lock (the pid file beside the state file,
 * or the worker's Redis lock). Those locks only see one machine, or one Redis; processes on several
 * machines that share only the store would otherwise run one job twice at once. The SQLite store
 * lives in the state dir, where the pid file lock already does the job, so it adds nothing there.
 */
import type { ResolvedJob } from '../config/types.js';
import { targetLocation } from '../connectors/index.js';
import { jobLockKey } from '../orchestrator/redis-lock.js';
import { acquireLock } from '../state/index.js';
import type { HistoryStore } from './types.js';

export interface Releasable {
  release(): Promise<void>;
}

export type JobLocker = (job: ResolvedJob) => Promise<Releasable>;

export interface StoreLockSettings {
  /** Waiting for a held lock (default 0: fail at once with STATE_LOCKED, like the pid file lock). */
  waitMs?: number;
  holder?: string;
  /** Told when the store lock is lost mid-run (its database session ended): stop the run. */
  onLost?: (reason: unknown) => void;
}

/** The key of a job in the store: one tenant's job writing to one target, as in Redis. */
export async function storeLockKey(job: ResolvedJob): Promise<string> {
  return jobLockKey('dativo', job.tenantId, job.name, await targetLocation(job));
}

const fileLock: JobLocker = (job) => acquireLock(job.statePath);

/**
 * `inner` (default: the pid file lock), then the store's lock when the store is shared. Either
 * failing leaves nothing held. Undefined store or SQLite: `inner` alone.
 */
export function withStoreLock(
  store: HistoryStore | undefined,
  inner: JobLocker = fileLock,
  settings: StoreLockSettings = {},
): JobLocker {
  if (store?.kind !== 'postgres') return inner;
  return async (job) => {
    const first = await inner(job);
    try {
      const shared = await store.acquireLock(await storeLockKey(job), {
        waitMs: settings.waitMs ?? 0,
        ...(settings.holder ? { holder: settings.holder } : {}),
      });
      if (settings.onLost) {
        const onLost = settings.onLost;
        shared.lost.addEventListener('abort', () => onLost(shared.lost.reason), { once: true });
      }
      return {
        async release() {
          await shared.release().catch(() => {});
          await first.release();
        },
      };
    } catch (err) {
      await first.release().catch(() => {});
      throw err;
    }
  };
}
