import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../host/observability/logger.js';
import { createManualClock } from '../../../host/orchestrator/clock.js';
import { createScheduler, type SchedulerEvent } from '../../../host/orchestrator/scheduler.js';
import { fakeExecutor, jobInfos, scheduleDef } from './fakes.js';

const START = Date.parse('2024-01-01T00:00:00Z');
const ms = (iso: string) => Date.parse(iso);

describe('scheduler: three schedules for ten minutes on a manual clock', () => {
  async function scenario() {
    const clock = createManualClock(START);
    const fake = fakeExecutor(clock, {
      alpha: { durationMs: 90_000, outcomes: ['ok'] },
      beta: { durationMs: 10_000, outcomes: ['ok'] },
      gamma: { durationMs: 20_000, outcomes: ['retryable', 'retryable', 'retryable', 'ok'] },
    });
    const scheduler = createScheduler({
      schedules: [
        scheduleDef('alpha', { cron: '* * * * *' }),
        scheduleDef('beta', { intervalSeconds: 30 }),
        scheduleDef('gamma', {
          cron: '*/2 * * * *',
          timezone: 'America/New_York',
          tags: { priority: 'high' },
        }),
      ],
      executor: fake.executor,
      clock,
      logger: silentLogger(),
      jobInfo: jobInfos({ alpha: 't1', beta: 't1', gamma: 't2' }),
      concurrencyPerTenant: 1,
      maxConcurrentRuns: 2,
    });
    const events: SchedulerEvent[] = [];
    scheduler.on((e) => events.push(e));
    await scheduler.start();
    await clock.advance(10 * 60_000);
    return { clock, scheduler, events, ...fake };
  }

  it('fires every schedule on time, in its time zone', async () => {
    const { scheduler } = await scenario();
    const planned = (name: string) =>
      scheduler
        .runs()
        .filter((r) => r.schedule === name)
        .map((r) => (ms(r.plannedAt!) - START) / 1000);
    expect(planned('alpha')).toEqual([60, 120, 180, 240, 300, 360, 420, 480, 540, 600]);
    expect(planned('beta')).toEqual(Array.from({ length: 20 }, (_, i) => 30 * (i + 1)));
    expect(planned('gamma')).toEqual([120, 240, 360, 480, 600]);
    const views = scheduler.schedules();
    expect(views.find((s) => s.name === 'gamma')).toMatchObject({
      tenant: 't2',
      nextFireAt: '2024-01-01T00:12:00.000Z',
      tags: { priority: 'high' },
    });
  });

  it('retries the failing job with exponential backoff capped at max_delay_seconds', async () => {
    const { scheduler, executions } = await scenario();
    const first = scheduler.runs().find((r) => r.schedule === 'gamma')!;
    expect(first.state).toBe('succeeded');
    expect(first.attempts.map((a) => a.status)).toEqual(['failed', 'failed', 'failed', 'succeeded']);
    // initial 5 s × 3^(n-1), capped at 12 s.
    expect(first.attempts.map((a) => a.retryDelayMs)).toEqual([5000, 12_000, 12_000, undefined]);
    const runs = executions.filter((e) => e.req.runId === first.id);
    expect(runs.map((e) => e.req.trigger)).toEqual(['schedule', 'retry', 'retry', 'retry']);
    const gaps = runs.slice(1).map((e, i) => e.start - runs[i]!.end!);
    expect(gaps).toEqual([5000, 12_000, 12_000]);
    expect(first.attempts[0]?.errors[0]).toMatchObject({ code: 'CONNECTION_FAILED' });
  });

  it('holds max_concurrent_runs and concurrency_per_tenant, and never overlaps one job', async () => {
    const { scheduler, peak, executions } = await scenario();
    expect(peak.total).toBe(2);
    expect(peak.tenant.get('t1')).toBe(1);
    expect(peak.tenant.get('t2')).toBe(1);
    expect([...peak.job.values()]).toEqual([1, 1, 1]);
    // Beta waited for alpha (same tenant) at least once: it started after it was queued.
    const waited = executions.filter(
      (e) => e.req.jobName === 'beta' && e.start > ms(scheduler.run(e.req.runId)!.createdAt),
    );
    expect(waited.length).toBeGreaterThan(0);
    // Checked directly from the intervals too: no two executions of one tenant overlap.
    const t1 = executions.filter((e) => e.req.tenant === 't1').sort((a, b) => a.start - b.start);
    for (let i = 1; i < t1.length; i++)
      expect(t1[i]!.start).toBeGreaterThanOrEqual(t1[i - 1]!.end ?? Infinity);
  });

  it('skips a firing while the schedule already has max_concurrent_runs active runs', async () => {
    const { scheduler, events } = await scenario();
    const alpha = scheduler.runs().filter((r) => r.schedule === 'alpha');
    const skipped = alpha.filter((r) => r.state === 'skipped');
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped[0]?.reason).toBe('schedule already has 1 active run(s) (max_concurrent_runs 1)');
    expect(skipped.every((r) => r.attempts.length === 0)).toBe(true);
    expect(events.filter((e) => e.type === 'run_skipped')).toHaveLength(
      skipped.length + scheduler.runs().filter((r) => r.schedule !== 'alpha' && r.state === 'skipped').length,
    );
    // Never more than one active alpha run at any time: each non-skipped run starts after the previous ended.
    const ran = alpha.filter((r) => r.attempts.length > 0);
    for (let i = 1; i < ran.length; i++) {
      expect(ms(ran[i]!.attempts[0]!.startedAt)).toBeGreaterThanOrEqual(ms(ran[i - 1]!.finishedAt!));
    }
  });
});

describe('scheduler: limits, cancel and shutdown', () => {
  it('the global max_concurrent_runs queues the third run until a slot frees', async () => {
    const clock = createManualClock(START);
    const fake = fakeExecutor(clock, {
      a: { durationMs: 10_000, outcomes: ['ok'] },
      b: { durationMs: 20_000, outcomes: ['ok'] },
      c: { durationMs: 10_000, outcomes: ['ok'] },
    });
    const scheduler = createScheduler({
      schedules: ['a', 'b', 'c'].map((n) => scheduleDef(n, { cron: '0 * * * *' })),
      executor: fake.executor,
      clock,
      logger: silentLogger(),
      jobInfo: jobInfos({ a: 't1', b: 't2', c: 't3' }),
      maxConcurrentRuns: 2,
    });
    await scheduler.start();
    await clock.advance(3_630_000);
    expect(fake.executions.map((e) => [e.req.jobName, (e.start - START) / 1000])).toEqual([
      ['a', 3600],
      ['b', 3600],
      ['c', 3610],
    ]);
    expect(fake.peak.total).toBe(2);
  });

  it('with max_concurrent_runs 2 a second firing waits behind the running one instead of overlapping', async () => {
    const clock = createManualClock(START);
    const fake = fakeExecutor(clock, { slow: { durationMs: 150_000, outcomes: ['ok'] } });
    const scheduler = createScheduler({
      schedules: [scheduleDef('slow', { intervalSeconds: 60, maxConcurrentRuns: 2 })],
      executor: fake.executor,
      clock,
      logger: silentLogger(),
      jobInfo: jobInfos({ slow: 't1' }),
    });
    await scheduler.start();
    await clock.advance(200_000);
    const states = scheduler.runs().map((r) => r.state);
    // 60 s: runs; 120 s: waits (queued); 180 s: skipped (two active already).
    expect(states).toEqual(['running', 'queued', 'skipped']);
    await clock.advance(100_000);
    expect(fake.executions.map((e) => (e.start - START) / 1000)).toEqual([60, 210]);
    expect(fake.peak.job.get('/jobs/slow.yaml')).toBe(1);
  });

  it('cancels a queued run, a run waiting for its retry, and a running one (through the executor)', async () => {
    const clock = createManualClock(START);
    const fake = fakeExecutor(clock, {
      a: { durationMs: 60_000, outcomes: ['ok'] },
      b: { durationMs: 60_000, outcomes: ['ok'] },
      f: { durationMs: 1000, outcomes: ['retryable'] },
    });
    const scheduler = createScheduler({
      schedules: [scheduleDef('a', {}), scheduleDef('b', {}), scheduleDef('f', {})].map((s) => ({
        ...s,
        cron: '0 0 1 1 *',
      })),
      executor: fake.executor,
      clock,
      logger: silentLogger(),
      jobInfo: jobInfos({ a: 't1', b: 't1', f: 't2' }),
      concurrencyPerTenant: 1,
    });
    await scheduler.start();
    const a = await scheduler.trigger('a');
    const b = await scheduler.trigger('b');
    const f = await scheduler.trigger('f');
    if (a.outcome !== 'queued' || b.outcome !== 'queued' || f.outcome !== 'queued')
      throw new Error('not queued');
    await clock.advance(2000);
    expect([a.run.state, b.run.state, f.run.state]).toEqual(['running', 'queued', 'retry_wait']);
    expect(await scheduler.cancel(b.run.id)).toBe('cancelled');
    expect(await scheduler.cancel(f.run.id)).toBe('cancelled');
    expect(await scheduler.cancel(a.run.id)).toBe('cancelling');
    await clock.advance(0);
    expect([a.run.state, b.run.state, f.run.state]).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(a.run.attempts[0]?.status).toBe('interrupted');
    expect(f.run.attempts).toHaveLength(1);
    expect(await scheduler.cancel(a.run.id)).toBe('finished');
    expect(await scheduler.cancel('nope')).toBe('unknown');
    // The retry timer is gone: nothing runs later.
    await clock.advance(3_600_000);
    expect(fake.executions).toHaveLength(2);
    expect(await scheduler.trigger('zzz')).toEqual({ outcome: 'unknown_schedule' });
  });

  it('shutdown lets runs finish within the grace period, then interrupts the rest through the executor', async () => {
    const clock = createManualClock(START);
    const fake = fakeExecutor(clock, {
      quick: { durationMs: 10_000, outcomes: ['ok'] },
      long: { durationMs: 120_000, outcomes: ['ok'] },
      waiting: { durationMs: 1000, outcomes: ['ok'] },
    });
    const scheduler = createScheduler({
      schedules: ['quick', 'long', 'waiting'].map((n) => scheduleDef(n, { intervalSeconds: 3600 })),
      executor: fake.executor,
      clock,
      logger: silentLogger(),
      jobInfo: jobInfos({ quick: 't1', long: 't2', waiting: 't1' }),
      concurrencyPerTenant: 1,
    });
    await scheduler.start();
    const runs = await Promise.all(['quick', 'long', 'waiting'].map((n) => scheduler.trigger(n)));
    const [quick, long, waiting] = runs.map((r) => (r.outcome === 'queued' ? r.run : undefined));
    const stopped = scheduler.stop({ graceMs: 30_000 });
    expect(scheduler.state).toBe('stopping');
    expect(await scheduler.trigger('quick')).toEqual({ outcome: 'stopping' });
    await clock.advance(10_000);
    expect(quick?.state).toBe('succeeded');
    expect(waiting?.state).toBe('cancelled');
    expect(long?.state).toBe('running');
    expect(fake.cancels).toEqual([]);
    await clock.advance(20_000);
    await stopped;
    expect(scheduler.state).toBe('stopped');
    expect(long?.state).toBe('interrupted');
    expect(long?.reason).toBe('interrupted by shutdown after the grace period');
    expect(fake.cancels).toEqual([`${long?.id}#1`]);
    expect(clock.pending()).toEqual([]);
  });
});
