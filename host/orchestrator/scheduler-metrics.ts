/**
 * The scheduler's events as Prometheus metrics (`dativo start`): firings queued and skipped,
 * retries, finished runs by state, and the active runs by state read from the scheduler at scrape
 * time. The run counters themselves (rows, bytes, files) are recorded where a run executes, from
 * its report (pipeline/run-job.ts): in this process with the in-process executor, in the worker
 * with the queue.
 */
import { countSchedulerEvent, setActiveRunsSource } from '../observability/metrics.js';
import { isActive } from './runs.js';
import type { Scheduler } from './scheduler.js';

/** Start counting; returns a function that stops. */
export function observeScheduler(scheduler: Scheduler): () => void {
  const off = scheduler.on((e) => {
    const l = { schedule: e.run.schedule ?? '', tenant: e.run.tenant };
    if (e.type === 'run_queued' || e.type === 'run_skipped') {
      countSchedulerEvent({
        kind: e.type === 'run_queued' ? 'queued' : 'skipped',
        ...l,
        trigger: e.run.trigger,
      });
    } else if (e.type === 'retry_scheduled') countSchedulerEvent({ kind: 'retry', ...l });
    else if (e.type === 'run_finished') countSchedulerEvent({ kind: 'finished', ...l, state: e.run.state });
  });
  const source = () => {
    const counts = new Map<string, { schedule: string; tenant: string; state: string; count: number }>();
    for (const r of scheduler.runs()) {
      if (!isActive(r)) continue;
      const key = JSON.stringify([r.schedule, r.tenant, r.state]);
      const c = counts.get(key) ?? { schedule: r.schedule ?? '', tenant: r.tenant, state: r.state, count: 0 };
      c.count++;
      counts.set(key, c);
    }
    return [...counts.values()];
  };
  setActiveRunsSource(source);
  return () => {
    off();
    setActiveRunsSource(undefined);
  };
}
