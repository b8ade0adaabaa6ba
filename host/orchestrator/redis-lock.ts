/**
 * The per-job lock of a queue worker, in Redis instead of a pid file: workers on different machines
 * share no filesystem, so `host/state/lock.ts` cannot see another machine's run.
 *
 * `SET key token NX PX ttl` takes it; a timer renews it (compare-and-expire) while the run lasts;
 * release is compare-and-delete, so a worker never removes a lock that expired and was taken by
 * another. A holder that dies stops renewing and its lock expires after `ttlMs`: that is how a
 * stalled run's lock is taken over by the worker that reruns it. When a renewal finds the lock
 * gone or someone else's, `onLost` fires and the run must stop (it would otherwise race the new
 * holder; the commit protocol would still keep the data whole, but not free of duplicates).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Redis } from 'ioredis';
import { DativoError } from '../errors.js';

export interface RedisLock {
  readonly key: string;
  readonly token: string;
  /** Aborted when the lock was lost (expired and taken, or deleted by hand). */
  readonly lost: AbortSignal;
  /** Compare-and-delete. Idempotent. */
  release(): Promise<void>;
}

export interface RedisLockOptions {
  /** Lifetime of the lock without renewal (default 30 s). */
  ttlMs?: number;
  /** How often it is renewed (default ttl / 3). */
  renewEveryMs?: number;
  /** How long to wait for a held lock before failing with STATE_LOCKED (default 0: fail at once). */
  waitMs?: number;
  /** Poll interval while waiting (default 250 ms). */
  pollMs?: number;
  /** Who holds it, stored in the value for operators (`GET key`). */
  holder?: string;
}

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/** The Redis key of a job's lock. One job = one tenant's job name writing to one target. */
export function jobLockKey(prefix: string, tenant: string, jobName: string, target?: string): string {
  return `${prefix}:lock:${tenant}/${jobName}${target ? `@${target}` : ''}`;
}

export async function acquireRedisLock(
  redis: Redis,
  key: string,
  options: RedisLockOptions = {},
): Promise<RedisLock> {
  const ttl = options.ttlMs ?? 30_000;
  const every = options.renewEveryMs ?? Math.max(50, Math.floor(ttl / 3));
  const deadline = Date.now() + (options.waitMs ?? 0);
  const holder = options.holder ?? `${os.hostname()}:${process.pid}`;
  const token = `${holder}:${randomBytes(12).toString('hex')}`;

  for (;;) {
    const ok = await redis.set(key, token, 'PX', ttl, 'NX');
    if (ok === 'OK') break;
    if (Date.now() >= deadline) {
      const current = await redis.get(key);
      const ms = await redis.pttl(key);
      throw new DativoError(
        'STATE_LOCKED',
        `another run of this job is in progress: the Redis lock ${key} is held by ${current ?? 'someone'}` +
          (ms > 0 ? ` (expires in ${Math.ceil(ms / 1000)} s unless renewed)` : ''),
        { retryable: true, details: { lockKey: key, holder: current } },
      );
    }
    await sleep(Math.min(options.pollMs ?? 250, Math.max(1, deadline - Date.now())));
  }

  const lost = new AbortController();
  let released = false;
  const timer = setInterval(() => {
    redis.eval(RENEW, 1, key, token, String(ttl)).then(
      (n) => {
        if (Number(n) !== 1 && !released) {
          clearInterval(timer);
          lost.abort(new Error(`lost the lock ${key}: it expired and may be held by another worker`));
        }
      },
      // A failed renewal (Redis briefly unreachable) is retried at the next tick; if the lock
      // expires meanwhile, that tick reports it lost.
      () => {},
    );
  }, every);
  timer.unref();

  return {
    key,
    token,
    lost: lost.signal,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await redis.eval(RELEASE, 1, key, token);
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
