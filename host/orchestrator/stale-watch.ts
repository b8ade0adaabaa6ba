/**
 * Job-stale detection for `dativo start`: a schedule that has not succeeded within N times its
 * interval (a cron schedule's interval is the gap between its next two fire times) emits ONE stale
 * event; the next success ends the episode, and a later silence starts a new one. The clock starts
 * when `start` starts watching: a schedule is not stale merely because this process is new.
 * Disabled schedules are not watched.
 */
import type { JobStaleEvent } from '../store/notify.js';
import type { Clock, TimerHandle } from './clock.js';
import type { ScheduleDef } from './runner-config.js';
import type { Scheduler } from './scheduler.js';
import { nextFireAt } from './timing.js';

const SUCCESS = new Set(['succeeded', 'succeeded_with_warnings', 'nothing_new']);

/** Seconds between two fires of a schedule (cron: the next two after `nowMs`). */
export function intervalSecondsOf(def: ScheduleDef, nowMs: number): number | undefined {
  if (def.intervalSeconds !== undefined) return def.intervalSeconds;
  const first = nextFireAt(def, nowMs);
  const second = first === undefined ? undefined : nextFireAt(def, first);
  return first === undefined || second === undefined ? undefined : (second - first) / 1000;
}

interface Watched {
  def: ScheduleDef;
  intervalSeconds: number;
  lastSuccessMs?: number;
  reported: boolean;
}

export interface StaleWatchOptions {
  scheduler: Pick<Scheduler, 'on' | 'schedules'>;
  schedules: ScheduleDef[];
  staleAfterIntervals: number;
  clock: Clock;
  onStale(event: JobStaleEvent): void;
}

/** Start watching; returns the function that stops it. */
export function watchStaleness(opts: StaleWatchOptions): () => void {
  const { clock } = opts;
  const since = clock.now();
  const watched = new Map<string, Watched>();
  for (const def of opts.schedules) {
    const intervalSeconds = def.enabled ? intervalSecondsOf(def, since) : undefined;
    if (intervalSeconds) watched.set(def.name, { def, intervalSeconds, reported: false });
  }
  if (watched.size === 0) return () => {};

  const off = opts.scheduler.on((e) => {
    if (e.type !== 'run_finished' || !e.run.schedule || !SUCCESS.has(e.run.state)) return;
    const w = watched.get(e.run.schedule);
    if (!w) return;
    w.lastSuccessMs = clock.now();
    w.reported = false;
  });

  const check = () => {
    const now = clock.now();
    for (const w of watched.values()) {
      const from = w.lastSuccessMs ?? since;
      const limitMs = opts.staleAfterIntervals * w.intervalSeconds * 1000;
      if (w.reported || now - from < limitMs) continue;
      w.reported = true;
      const view = opts.scheduler.schedules().find((s) => s.name === w.def.name);
      opts.onStale({
        type: 'job_stale',
        id: `stale:${w.def.name}:${new Date(from).toISOString()}`,
        schedule: w.def.name,
        job: view?.jobName ?? w.def.name,
        tenant: view?.tenant ?? '',
        intervalSeconds: w.intervalSeconds,
        staleAfterSeconds: limitMs / 1000,
        ...(w.lastSuccessMs !== undefined ? { lastSuccessAt: new Date(w.lastSuccessMs).toISOString() } : {}),
        watchingSince: new Date(since).toISOString(),
        detectedAt: new Date(now).toISOString(),
      });
    }
  };

  // Often enough to notice within a fraction of the shortest interval, at most once a minute.
  const shortest = Math.min(...[...watched.values()].map((w) => w.intervalSeconds));
  const everyMs = Math.min(60_000, Math.max(100, (shortest * 1000) / 4));
  let timer: TimerHandle | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    check();
    timer = clock.setTimer(tick, everyMs);
  };
  timer = clock.setTimer(tick, everyMs);
  return () => {
    stopped = true;
    off();
    if (timer) clock.clearTimer(timer);
  };
}
