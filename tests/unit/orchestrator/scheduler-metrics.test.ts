/**
 * The scheduler's events in the Prometheus registry, scraped through the API's `/metrics` (behind
 * the token): firings queued and skipped, retries, finished runs by state and the active runs all
 * match the scheduler's own run records, on a manual clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../../../host/api/app.js';
import { silentLogger } from '../../../host/observability/logger.js';
import { resetMetrics } from '../../../host/observability/metrics.js';
import { createManualClock } from '../../../host/orchestrator/clock.js';
import type { RunRecord } from '../../../host/orchestrator/runs.js';
import { createScheduler } from '../../../host/orchestrator/scheduler.js';
import { observeScheduler } from '../../../host/orchestrator/scheduler-metrics.js';
import { sample } from '../observability/prom-text.js';
import { fakeExecutor, jobInfos, scheduleDef } from './fakes.js';

const TOKEN = 'metrics-token-8c1e';
const START = Date.parse('2024-01-01T00:00:00Z');
let unobserve: () => void = () => {};

beforeEach(() => resetMetrics());
afterEach(() => unobserve());

function setup() {
  const clock = createManualClock(START);
  const fake = fakeExecutor(clock, {
    alpha: { durationMs: 90_000, outcomes: ['ok'] }, // longer than its minute: overlaps are skipped
    beta: { durationMs: 10_000, outcomes: ['ok'] },
    gamma: { durationMs: 20_000, outcomes: ['retryable', 'retryable', 'ok'] },
  });
  const scheduler = createScheduler({
    schedules: [
      scheduleDef('alpha', { cron: '* * * * *' }),
      scheduleDef('beta', { intervalSeconds: 30 }),
      scheduleDef('gamma', { cron: '*/2 * * * *' }),
    ],
    executor: fake.executor,
    clock,
    logger: silentLogger(),
    jobInfo: jobInfos({ alpha: 't1', beta: 't1', gamma: 't2' }),
    concurrencyPerTenant: 1,
  });
  unobserve = observeScheduler(scheduler);
  const app = createApiApp({ scheduler, token: TOKEN, logger: silentLogger(), metrics: true });
  const scrape = async () => {
    const res = await app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };
  return { clock, scheduler, app, scrape };
}

const count = (runs: RunRecord[], pred: (r: RunRecord) => boolean) => runs.filter(pred).length;

describe('scheduler metrics on /metrics', () => {
  it('needs the bearer token, like every route but /health', async () => {
    const { app, scheduler } = setup();
    await scheduler.start();
    expect((await app.request('/metrics')).status).toBe(401);
    expect((await app.request('/metrics', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const off = createApiApp({ scheduler, token: TOKEN, logger: silentLogger() });
    expect((await off.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
      404,
    );
  });

  it('counts queued, skipped, retried and finished runs, and active runs by state, as the records say', async () => {
    const { clock, scheduler, scrape } = setup();
    await scheduler.start();
    await clock.advance(10 * 60_000 + 5_000);
    await scheduler.trigger('beta');
    const runs = scheduler.runs();
    const text = await scrape();

    for (const name of ['alpha', 'beta', 'gamma']) {
      const mine = runs.filter((r) => r.schedule === name);
      const l = { schedule: name };
      expect(sample(text, 'dativo_scheduler_runs_total', { ...l, outcome: 'queued' }) ?? 0).toBe(
        count(mine, (r) => r.state !== 'skipped'),
      );
      expect(sample(text, 'dativo_scheduler_runs_total', { ...l, outcome: 'skipped' }) ?? 0).toBe(
        count(mine, (r) => r.state === 'skipped'),
      );
      expect(sample(text, 'dativo_scheduler_retries_total', l) ?? 0).toBe(
        mine.reduce((n, r) => n + r.attempts.filter((a) => a.retryDelayMs !== undefined).length, 0),
      );
      for (const state of ['succeeded', 'failed', 'skipped']) {
        expect(sample(text, 'dativo_scheduler_runs_finished_total', { ...l, state }) ?? 0).toBe(
          state === 'skipped' ? 0 : count(mine, (r) => r.state === state),
        );
      }
      for (const state of ['queued', 'running', 'retry_wait']) {
        expect(sample(text, 'dativo_scheduler_active_runs', { ...l, state }) ?? 0).toBe(
          count(mine, (r) => r.state === state),
        );
      }
    }
    // The scenario did what the assertions above are about: skips, retries, a manual trigger.
    expect(count(runs, (r) => r.state === 'skipped')).toBeGreaterThan(0);
    expect(
      sample(text, 'dativo_scheduler_retries_total', { schedule: 'gamma', tenant: 't2' }),
    ).toBeGreaterThan(0);
    expect(sample(text, 'dativo_scheduler_runs_total', { schedule: 'beta', trigger: 'manual' })).toBe(1);
    expect(sample(text, 'dativo_scheduler_active_runs')).toBe(
      count(runs, (r) => r.state !== 'skipped' && !r.finishedAt),
    );

    // After shutdown nothing is active: waiting runs were cancelled, running ones interrupted.
    await Promise.all([scheduler.stop({ graceMs: 0 }), clock.advance(1)]);
    const after = await scrape();
    expect(sample(after, 'dativo_scheduler_active_runs') ?? 0).toBe(0);
    expect(sample(after, 'dativo_scheduler_runs_finished_total')).toBe(
      count(scheduler.runs(), (r) => r.state !== 'skipped'),
    );
  });
});
