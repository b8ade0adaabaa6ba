/**
 * When a schedule fires next. Cron expressions are evaluated by croner in the schedule's time zone
 * (daylight-saving gaps and repeats are croner's rules: a skipped local time fires at the next valid
 * one, a repeated one fires once). An interval schedule first fires one interval after the start and
 * then every interval after the previous planned time, so a slow run does not make it drift.
 */
import { Cron } from 'croner';
import type { ScheduleDef } from './runner-config.js';

export type Timing = Pick<ScheduleDef, 'cron' | 'intervalSeconds' | 'timezone'>;

/** The first fire time strictly after `afterMs` (ms since the epoch), or undefined for never. */
export function nextFireAt(timing: Timing, afterMs: number, previousPlannedMs?: number): number | undefined {
  if (timing.cron !== undefined) {
    const next = new Cron(timing.cron, { timezone: timing.timezone }).nextRun(new Date(afterMs));
    return next ? next.getTime() : undefined;
  }
  if (timing.intervalSeconds !== undefined) {
    const step = timing.intervalSeconds * 1000;
    const from = previousPlannedMs ?? afterMs;
    // Skip intervals missed while the process could not keep up; they are not replayed.
    const n = Math.max(1, Math.floor((afterMs - from) / step) + 1);
    return from + n * step;
  }
  return undefined;
}
