/**
 * A queue worker (`dativo worker`): takes queued runs from Redis (BullMQ) and runs them through the
 * same pipeline as `dativo run`, with the job's lock in Redis (redis-lock.ts) because workers on
 * different machines share no filesystem.
 *
 * A worker that dies mid-run stops renewing its BullMQ job lock and its Redis job lock; BullMQ's
 * stalled check (run by every live worker) puts the job back in the queue, and the worker that takes
 * it waits for the dead holder's job lock to expire, then reruns it. The commit protocol makes the
 * rerun whole: an unrecorded commit's staging is deleted, a recorded one is rolled forward and its
 * state says what is already in, so no row is lost or written twice.
 *
 * Limits: `concurrency` runs at once in this worker, and per tenant at most `tenantConcurrency`
 * (a run over its tenant's limit goes back to the queue, delayed briefly, freeing the slot for
 * another tenant). Retries are the scheduler's unless the run was queued with `retries: 'queue'`.
 */
import os from 'node:os';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadJobForCli } from '../cli/load.js';
import type { ResolvedJob } from '../config/types.js';
import { resolveJob, targetLocation } from '../connectors/index.js';
import type { Logger } from '../observability/logger.js';
import { trackActiveRun } from '../observability/metrics.js';
import type { RunReport } from '../pipeline/report.js';
import { type RunOptions, runJob, toReportError } from '../pipeline/run-job.js';
import { withStoreLock } from '../store/job-lock.js';
import { recordAttempt } from '../store/recorder.js';
import type { HistoryStore } from '../store/types.js';
import type { AttemptResult } from './executor.js';
import type { JobLoadOptions } from './in-process.js';
import {
  cancelChannel,
  DEFAULT_PREFIX,
  DEFAULT_QUEUE,
  probeRedis,
  type QueuedRun,
  type QueueSettings,
  redisConnection,
} from './queue.js';
import { acquireRedisLock, jobLockKey } from './redis-lock.js';
import { hasRetriesLeft, isRetryable, retryDelayMs } from './retry.js';

export interface WorkerOptions extends QueueSettings {
  logger: Logger;
  load: JobLoadOptions;
  /** Runs at once in this worker (default 1). */
  concurrency?: number;
  /** Per-tenant limit in this worker; `*` is the default for tenants not named. */
  tenantConcurrency?: Record<string, number>;
  /** Shown on each job as `processedBy` (default host:pid). */
  name?: string;
  /**
   * Lifetime of the BullMQ job lock and of the Redis job lock without renewal (default 30 s): how
   * long after a worker dies its runs are taken over by another.
   */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for (default: lockDurationMs). */
  stalledIntervalMs?: number;
  /** How often one job may stall (its worker died) before it fails (default 3). */
  maxStalledCount?: number;
  /** Delay before a run over its tenant's limit is offered again (default 1 s). */
  tenantRetryMs?: number;
  /** Run history: each attempt taken is recorded under the orchestrator's run id. */
  history?: HistoryStore;
  /** Test seams. */
  loadJob?: (file: string) => Promise<ResolvedJob>;
  runJob?: (job: ResolvedJob, opts: RunOptions) => Promise<RunReport>;
}

export interface RunningWorker {
  readonly name: string;
  readonly worker: Worker<QueuedRun, AttemptResult>;
  /**
   * Stop taking runs and wait for the running ones. `interrupt: true` aborts them instead; they go
   * back to the queue (nothing partial is committed) for another worker.
   */
  close(opts?: { interrupt?: boolean }): Promise<void>;
}

/** `acme=2,globex=1,*=4` → { acme: 2, globex: 1, '*': 4 }. */
export function parseTenantConcurrency(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [tenant, n] = part.split('=');
    const v = Number(n);
    if (!tenant || !Number.isInteger(v) || v < 1) {
      throw new Error(`--tenant-concurrency: "${part}" is not TENANT=N with N ≥ 1 (e.g. acme=2,*=4)`);
    }
    out[tenant.trim()] = v;
  }
  return out;
}

const SHUTDOWN = 'worker shutting down';

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const queueName = opts.queueName ?? DEFAULT_QUEUE;
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const name = opts.name ?? `${os.hostname()}:${process.pid}`;
  const lockMs = opts.lockDurationMs ?? 30_000;
  const log = opts.logger.child({ worker: name });
  if (typeof opts.redis === 'string') await probeRedis(opts.redis);
  const conn = (): Redis =>
    typeof opts.redis === 'string' ? redisConnection(opts.redis) : opts.redis.duplicate();
  const workerConn = conn();
  const lockConn = conn();
  const subConn = conn();
  // The Worker reports its own connection's errors ('error' below); these two would otherwise print
  // ioredis' "Unhandled error event" at every reconnect attempt during an outage.
  for (const c of [lockConn, subConn]) c.on('error', () => {});
  const load = opts.loadJob ?? ((file: string) => loadJobForCli(file, { ...opts.load }));
  const run = opts.runJob ?? runJob;
  const tenantLimits = opts.tenantConcurrency ?? {};
  const activeByTenant = new Map<string, number>();
  let shuttingDown = false;

  const limitOf = (tenant: string) => tenantLimits[tenant] ?? tenantLimits['*'] ?? Number.POSITIVE_INFINITY;

  async function attempt(
    job: Job<QueuedRun, AttemptResult>,
    data: QueuedRun,
    signal: AbortSignal,
  ): Promise<AttemptResult> {
    const req = data.request;
    const logger = log.child({ orchestrator_run: req.runId, attempt: req.attempt, queue_job: job.id });
    let loaded: ResolvedJob;
    try {
      loaded = await load(req.jobFile);
      resolveJob(loaded);
    } catch (err) {
      return { status: 'failed', exitCode: 2, errors: [toReportError(err)] };
    }
    const controller = new AbortController();
    // BullMQ's cancel reason is a string; the pipeline reads an Error's message.
    const abort = () =>
      controller.abort(
        signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'cancelled')),
      );
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    const redisLock = async (j: ResolvedJob) => {
      const lock = await acquireRedisLock(
        lockConn,
        jobLockKey(prefix, j.tenantId, j.name, await targetLocation(j)),
        {
          ttlMs: lockMs,
          // A stalled run's previous holder is dead: its lock expires within lockMs.
          waitMs: lockMs + 5000,
          holder: name,
        },
      );
      lock.lost.addEventListener('abort', () => controller.abort(lock.lost.reason), { once: true });
      return lock;
    };
    const report = await run(loaded, {
      logger,
      signal: controller.signal,
      progress: false,
      lock: withStoreLock(opts.history, redisLock, {
        // A stalled run's previous holder is dead: Postgres freed its lock with its session, but a
        // holder still closing its session gets the same grace as the Redis lock.
        waitMs: lockMs + 5000,
        holder: name,
        onLost: (why) => controller.abort(why),
      }),
    });
    signal.removeEventListener('abort', abort);
    return { status: report.status, exitCode: report.exitCode, errors: report.errors, report };
  }

  async function processRun(
    job: Job<QueuedRun, AttemptResult>,
    token: string | undefined,
    signal?: AbortSignal,
  ): Promise<AttemptResult> {
    const data = job.data;
    const tenant = data.request.tenant;
    const active = activeByTenant.get(tenant) ?? 0;
    if (active >= limitOf(tenant)) {
      // Back to the queue for a moment: the slot goes to a run of another tenant meanwhile.
      await job.moveToDelayed(Date.now() + (opts.tenantRetryMs ?? 1000) * (0.5 + Math.random()), token);
      throw new DelayedError();
    }
    activeByTenant.set(tenant, active + 1);
    const untrack = trackActiveRun(tenant);
    try {
      const result = await recordAttempt(opts.history, data.request, log, () =>
        attempt(job, data, signal ?? new AbortController().signal),
      );
      if (shuttingDown && result.status === 'interrupted') {
        // Interrupted by our shutdown, not cancelled: another worker takes it (nothing was committed).
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      if (data.retries === 'queue' && result.status === 'failed') {
        const n = data.queueAttempt ?? 1;
        const retry = await load(data.request.jobFile).then(
          (j) => j.retry,
          () => undefined,
        );
        if (retry && isRetryable(retry, result) && hasRetriesLeft(retry, n)) {
          const delay = retryDelayMs(retry, n);
          log.warn(
            {
              event_type: 'run_retry',
              queue_job: job.id,
              attempt: n,
              delay_ms: delay,
              errors: result.errors,
            },
            `attempt ${n} failed; retrying in ${delay} ms`,
          );
          await job.updateData({ ...data, queueAttempt: n + 1 });
          await job.moveToDelayed(Date.now() + delay, token);
          throw new DelayedError();
        }
      }
      return result;
    } finally {
      activeByTenant.set(tenant, (activeByTenant.get(tenant) ?? 1) - 1);
      untrack();
    }
  }

  const worker = new Worker<QueuedRun, AttemptResult>(queueName, processRun, {
    connection: workerConn,
    prefix,
    name,
    concurrency: opts.concurrency ?? 1,
    lockDuration: lockMs,
    stalledInterval: opts.stalledIntervalMs ?? lockMs,
    maxStalledCount: opts.maxStalledCount ?? 3,
    autorun: false,
  });
  worker.on('active', (job) =>
    log.info({ event_type: 'queue_job_active', queue_job: job.id, job_name: job.name }, 'run taken'),
  );
  worker.on('completed', (job, result) =>
    log.info(
      { event_type: 'queue_job_completed', queue_job: job.id, status: result.status },
      `run ${result.status}`,
    ),
  );
  worker.on('failed', (job, err) =>
    log.error({ event_type: 'queue_job_failed', queue_job: job?.id }, `queued run failed: ${err.message}`),
  );
  worker.on('stalled', (jobId) =>
    log.warn({ event_type: 'queue_job_stalled', queue_job: jobId }, 'a worker died mid-run; run re-queued'),
  );
  worker.on('error', (err) => log.error({ event_type: 'queue_error' }, err.message));

  await subConn.subscribe(cancelChannel(prefix, queueName));
  subConn.on('message', (_channel: string, message: string) => {
    try {
      const { jobId, reason } = JSON.parse(message) as { jobId: string; reason?: string };
      if (worker.cancelJob(jobId, reason ?? 'cancelled')) {
        log.info({ event_type: 'queue_job_cancel', queue_job: jobId }, 'run cancelled');
      }
    } catch {
      // not a message of ours
    }
  });

  void worker.run();
  await worker.waitUntilReady();
  log.info(
    {
      event_type: 'worker_started',
      queue: queueName,
      concurrency: opts.concurrency ?? 1,
      tenant_limits: tenantLimits,
    },
    `worker ${name} taking runs from ${queueName}`,
  );

  return {
    name,
    worker,
    async close(closeOpts = {}) {
      shuttingDown = true;
      if (closeOpts.interrupt) worker.cancelAllJobs(SHUTDOWN);
      await worker.close();
      await subConn.quit().catch(() => subConn.disconnect());
      // Every connection here is this worker's own (new or duplicated), so it closes them all.
      await Promise.all([workerConn, lockConn].map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
