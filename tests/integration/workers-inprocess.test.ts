/**
 * The queue pieces in this process against the real redis-server: the Redis job lock, per-tenant
 * limits, retries from retry_config when the queue retries, and cancelling waiting and running runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../host/observability/logger.js';
import { metricsText, resetMetrics } from '../../host/observability/metrics.js';
import { createQueueExecutor, type QueueExecutor } from '../../host/orchestrator/queue.js';
import { acquireRedisLock } from '../../host/orchestrator/redis-lock.js';
import { type RunningWorker, startWorker } from '../../host/orchestrator/worker.js';
import type { RunReport } from '../../host/pipeline/report.js';
import { request, sample, startRedis, writeJobs } from './workers-harness.js';

let redisUrl: string;
let redis: Redis;
let tmp: string;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  redisUrl = startRedis();
  redis = new Redis(redisUrl);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-workers-ip-'));
});
afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
  await redis?.quit();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(
  name: string,
  worker: Partial<Parameters<typeof startWorker>[0]> | null,
  retries: 'scheduler' | 'queue' = 'scheduler',
): Promise<{ executor: QueueExecutor; worker?: RunningWorker }> {
  const queueName = `dativo-ip-${name}-${randomBytes(3).toString('hex')}`;
  const executor = await createQueueExecutor({ redis: redisUrl, queueName, retries, pollMs: 500 });
  closers.push(async () => {
    await executor.queue.obliterate({ force: true }).catch(() => {});
    await executor.close();
  });
  if (!worker) return { executor };
  const w = await startWorker({
    redis: redisUrl,
    queueName,
    logger: silentLogger(),
    load: { mode: 'self_hosted', stateDir: path.join(tmp, `state-${name}`) },
    lockDurationMs: 5000,
    ...worker,
  });
  closers.push(() => w.close({ interrupt: true }));
  return { executor, worker: w };
}

describe('Redis job lock', () => {
  it('is exclusive, renewed past its TTL, released only by its holder, and reports loss', async () => {
    const key = `dativo-test:lock:${randomBytes(4).toString('hex')}`;
    const first = await acquireRedisLock(redis, key, { ttlMs: 300 });
    await expect(acquireRedisLock(redis, key, { ttlMs: 300 })).rejects.toMatchObject({
      code: 'STATE_LOCKED',
      retryable: true,
    });
    await sleep(900); // three TTLs: alive only through renewal
    expect(await redis.get(key)).toBe(first.token);
    expect(first.lost.aborted).toBe(false);

    // Someone else's lock (ours expired and was taken): release must not delete it, and we learn it is lost.
    await redis.set(key, 'another-holder', 'PX', 5000);
    await sleep(250);
    expect(first.lost.aborted).toBe(true);
    await first.release();
    expect(await redis.get(key)).toBe('another-holder');

    // A dead holder (no renewal): the waiter gets the lock once it expires.
    await redis.set(key, 'dead-holder', 'PX', 400);
    const t0 = Date.now();
    const second = await acquireRedisLock(redis, key, { ttlMs: 1000, waitMs: 3000, pollMs: 50 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    await second.release();
    expect(await redis.get(key)).toBeNull();
  });
});

describe('queue worker in this process', () => {
  it('holds the per-tenant limit while other tenants run beside it', async () => {
    const { executor } = await setup('tenant', {
      concurrency: 4,
      tenantConcurrency: { acme: 1 },
      tenantRetryMs: 100,
    });
    const acme = await writeJobs(path.join(tmp, 'acme'), {
      count: 3,
      rows: 20_000,
      prefix: '',
      namePrefix: 'acme',
      localDir: path.join(tmp, 'out-acme'),
    });
    const globex = await writeJobs(path.join(tmp, 'globex'), {
      count: 2,
      rows: 1000,
      prefix: '',
      tenant: 'globex',
      namePrefix: 'globex',
      localDir: path.join(tmp, 'out-globex'),
    });
    const handles = await Promise.all([
      ...acme.files.map((f) => executor.submit(request(f, 'acme'))),
      ...globex.files.map((f) => executor.submit(request(f, 'globex'))),
    ]);
    const results = await Promise.all(handles.map((h) => h.result));
    expect(
      results.map((r) => r.exitCode),
      JSON.stringify(results.map((r) => r.errors)),
    ).toEqual([0, 0, 0, 0, 0]);
    const spans = results
      .map((r) => r.report as RunReport)
      .filter((r) => r.tenant === 'acme')
      .map((r) => [Date.parse(r.startedAt), Date.parse(r.finishedAt)] as const)
      .sort((x, y) => x[0] - y[0]);
    expect(spans).toHaveLength(3);
    for (let i = 1; i < spans.length; i++) {
      expect(spans[i]?.[0]).toBeGreaterThanOrEqual(spans[i - 1]?.[1] as number);
    }
  });

  it('retries a failed run from the job retry_config when the queue owns retries', async () => {
    resetMetrics();
    const { executor } = await setup('retry', { concurrency: 1 }, 'queue');
    const jobs = await writeJobs(path.join(tmp, 'retry'), {
      count: 1,
      rows: 10,
      prefix: '',
      namePrefix: 'flaky',
      invalid: true,
      localDir: path.join(tmp, 'out-retry'),
      extra: [
        'retry_config:',
        '  max_retries: 2',
        '  initial_delay_seconds: 0.2',
        '  backoff_multiplier: 2',
        '  max_delay_seconds: 1',
        '  retryable_exit_codes: [2]',
        '  retryable_error_patterns: ["VALIDATION_FAILED"]',
      ].join('\n'),
    });
    const t0 = Date.now();
    const handle = await executor.submit(request(jobs.files[0] as string));
    const result = await handle.result;
    expect(result.status).toBe('failed');
    expect(result.errors[0]?.code).toBe('VALIDATION_FAILED');
    // 1 + 2 retries, after 0.2 s and 0.4 s of backoff
    expect(Date.now() - t0).toBeGreaterThanOrEqual(600);
    const text = await metricsText();
    expect(sample(text, 'dativo_runs_total', { job: 'flaky_00', status: 'failed' })).toBe(3);
    expect(sample(text, 'dativo_errors_total', { job: 'flaky_00', code: 'VALIDATION_FAILED' })).toBe(3);
  });

  it('cancels a waiting run (taken off the queue) and a running one (aborted, nothing committed)', async () => {
    const { executor } = await setup('cancel-wait', null);
    const waiting = await executor.submit(request('/nowhere/job.yaml'));
    expect(await executor.cancel(waiting.runKey, 'cancelled by test')).toBe(true);
    const w = await waiting.result;
    expect(w.status).toBe('interrupted');
    expect(w.errors[0]?.message).toContain('never started');
    expect(await executor.cancel('no-such-run#1')).toBe(false);

    const jobs = await writeJobs(path.join(tmp, 'cancel'), {
      count: 1,
      rows: 10,
      prefix: '',
      namePrefix: 'slow',
      localDir: path.join(tmp, 'out-cancel'),
    });
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    const { executor: ex2 } = await setup('cancel-run', {
      // A run that only ends when aborted, as a long extract would.
      runJob: async (job, opts) => {
        started();
        await new Promise((r) => opts.signal.addEventListener('abort', r, { once: true }));
        return {
          runId: 'r',
          job: job.name,
          tenant: job.tenantId,
          status: 'interrupted',
          exitCode: 2,
          errors: [
            { code: 'INTERRUPTED', message: String((opts.signal.reason as Error).message), retryable: false },
          ],
        } as unknown as RunReport;
      },
    });
    const h = await ex2.submit(request(jobs.files[0] as string));
    await running;
    expect(await ex2.cancel(h.runKey, 'cancelled by test')).toBe(true);
    const r = await h.result;
    expect(r.status).toBe('interrupted');
    expect(r.errors[0]?.message).toContain('cancelled by test');
  });
});
