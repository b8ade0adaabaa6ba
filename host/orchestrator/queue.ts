/**
 * The queue executor: each attempt becomes a BullMQ job in Redis, and `dativo worker` processes on
 * any number of machines take them (worker.ts). The scheduler keeps its limits and retries; this
 * only moves the execution elsewhere and brings the attempt's result back.
 *
 * Results come back through BullMQ's event stream (QueueEvents), with a slow poll of the job
 * hashes as a safety net for an event missed during a reconnect. A cancel removes a waiting job or
 * asks the worker that holds it (a pub/sub message) to abort it.
 */
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { DativoError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { RunReport } from '../pipeline/report.js';
import type { AttemptResult, RunExecutor, RunHandle, RunRequest } from './executor.js';

export const DEFAULT_QUEUE = 'dativo-runs';
export const DEFAULT_PREFIX = 'dativo';

/** What a queued job carries. */
export interface QueuedRun {
  request: RunRequest;
  /**
   * Who retries a failed attempt: the scheduler (`submit` is one attempt, the default), or the
   * worker itself from the job's retry_config (for runs enqueued without a scheduler).
   */
  retries: 'scheduler' | 'queue';
  /** The attempt the worker is on when it retries itself (1-based). */
  queueAttempt?: number;
}

export interface QueueSettings {
  /** A redis:// URL, or a connection to reuse (it is not closed by us). */
  redis: string | Redis;
  queueName?: string;
  /** Key prefix of every key BullMQ and the locks use (default `dativo`). */
  prefix?: string;
}

/** Connections for BullMQ: it needs blocking commands never to be retried by ioredis. */
export function redisConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/** The URL without its credentials, for messages. */
export function shownRedisUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}

/**
 * Fail at start-up when Redis cannot be reached: BullMQ's connections retry forever, so a service
 * started against a wrong URL would otherwise wait silently.
 */
export async function probeRedis(url: string, timeoutMs = 10_000): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // The socket's error (ECONNREFUSED, ENOTFOUND) says more than connect()'s "Connection is closed".
  let cause: Error | undefined;
  probe.on('error', (err: Error) => {
    cause ??= err;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    const why = cause ?? (err instanceof Error ? err : new Error(String(err)));
    throw new DativoError(
      'CONNECTION_FAILED',
      `cannot reach Redis at ${shownRedisUrl(url)}: ${why.message}`,
      { retryable: true },
    );
  } finally {
    probe.disconnect();
  }
}

export function cancelChannel(prefix: string, queueName: string): string {
  return `${prefix}:${queueName}:cancel`;
}

/** BullMQ job ids may not contain ':' (they are part of Redis keys); run keys map one to one. */
export function jobIdOf(runKey: string): string {
  return runKey.replaceAll(':', '_');
}

export interface QueueExecutorOptions extends QueueSettings {
  retries?: QueuedRun['retries'];
  /** Keep finished jobs this long for inspection (default one day). */
  keepFinishedSeconds?: number;
  /** Poll for missed results this often (default 5 s). */
  pollMs?: number;
  /** Where connection errors are reported while ioredis reconnects (default: nowhere). */
  logger?: Logger;
}

export interface QueueExecutor extends RunExecutor {
  readonly queue: Queue<QueuedRun, AttemptResult>;
  close(): Promise<void>;
}

interface Pending {
  resolve: (r: AttemptResult) => void;
}

export async function createQueueExecutor(opts: QueueExecutorOptions): Promise<QueueExecutor> {
  const queueName = opts.queueName ?? DEFAULT_QUEUE;
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  if (typeof opts.redis === 'string') await probeRedis(opts.redis);
  const owned: Redis[] = [];
  const conn = () => {
    if (typeof opts.redis !== 'string') return opts.redis.duplicate();
    const c = redisConnection(opts.redis);
    owned.push(c);
    return c;
  };
  const queueConn = conn();
  const eventsConn = conn();
  const pubConn = conn();
  if (typeof opts.redis !== 'string') owned.push(queueConn, eventsConn, pubConn);
  const queue = new Queue<QueuedRun, AttemptResult>(queueName, { connection: queueConn, prefix });
  const events = new QueueEvents(queueName, { connection: eventsConn, prefix });
  // One line per outage instead of ioredis' "Unhandled error event" per reconnect attempt.
  let down = false;
  const onError = (err: Error) => {
    if (down) return;
    down = true;
    opts.logger?.error(
      { event_type: 'queue_error' },
      `Redis connection error (reconnecting): ${err.message}`,
    );
  };
  for (const c of [queueConn, eventsConn, pubConn]) {
    c.on('error', onError);
    c.on('ready', () => {
      down = false;
    });
  }
  queue.on('error', onError);
  events.on('error', onError);
  const pending = new Map<string, Pending>();
  const keep = opts.keepFinishedSeconds ?? 86_400;

  const settle = (jobId: string, result: AttemptResult) => {
    const p = pending.get(jobId);
    if (!p) return;
    pending.delete(jobId);
    p.resolve(result);
  };
  events.on('completed', ({ jobId, returnvalue }) => settle(jobId, parseResult(returnvalue)));
  events.on('failed', ({ jobId, failedReason }) => settle(jobId, lostResult(failedReason)));
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);

  const poll = setInterval(() => {
    for (const jobId of pending.keys()) {
      void queue.getJob(jobId).then(
        async (job) => {
          if (!job) return settle(jobId, lostResult('the queued job disappeared (removed by hand?)'));
          if (!job.finishedOn) return;
          if (job.failedReason && (await job.isFailed())) settle(jobId, lostResult(job.failedReason));
          else settle(jobId, parseResult(job.returnvalue));
        },
        () => {},
      );
    }
  }, opts.pollMs ?? 5000);
  poll.unref();

  return {
    kind: 'queue',
    queue,
    async submit(req: RunRequest): Promise<RunHandle> {
      const jobId = jobIdOf(req.runKey);
      const result = new Promise<AttemptResult>((resolve) => pending.set(jobId, { resolve }));
      const data: QueuedRun = { request: req, retries: opts.retries ?? 'scheduler' };
      await queue.add(req.jobName, data, {
        jobId,
        attempts: 1,
        removeOnComplete: { age: keep },
        removeOnFail: { age: keep },
      });
      return { runKey: req.runKey, result };
    },
    async cancel(runKey: string, reason = 'cancelled'): Promise<boolean> {
      const jobId = jobIdOf(runKey);
      if (!pending.has(jobId)) return false;
      const job = await queue.getJob(jobId);
      if (!job) return false;
      const state = await job.getState();
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
        // Not started anywhere: taking it off the queue is the whole cancel. A worker may have
        // picked it up in between; then remove() fails and the worker is asked instead.
        try {
          await job.remove();
          settle(jobId, {
            status: 'interrupted',
            exitCode: 2,
            errors: [{ code: 'INTERRUPTED', message: `${reason}; the run never started`, retryable: false }],
          });
          return true;
        } catch {
          // fall through to the active case
        }
      }
      await pubConn.publish(cancelChannel(prefix, queueName), JSON.stringify({ jobId, reason }));
      return true;
    },
    async close() {
      clearInterval(poll);
      await events.close();
      await queue.close();
      await Promise.all(owned.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

/** A worker's return value (an AttemptResult), however BullMQ handed it over. */
function parseResult(value: unknown): AttemptResult {
  let v = value;
  if (typeof value === 'string') {
    try {
      v = JSON.parse(value);
    } catch {
      return lostResult(`unreadable result from the worker: ${value.slice(0, 200)}`);
    }
  }
  const r = v as Partial<AttemptResult> | null;
  if (!r || typeof r.status !== 'string') return lostResult('the worker returned no result');
  return {
    status: r.status,
    exitCode: r.exitCode ?? 2,
    errors: r.errors ?? [],
    ...(r.report ? { report: r.report as RunReport } : {}),
  };
}

/**
 * The queue gave up on the job (it stalled more often than allowed: its workers kept dying). Nothing
 * partial was committed (commit protocol), so a retry is safe.
 */
function lostResult(reason: string): AttemptResult {
  return {
    status: 'failed',
    exitCode: 2,
    errors: [
      { code: 'WORKER_LOST', message: `the queued run failed in the queue: ${reason}`, retryable: true },
    ],
  };
}
