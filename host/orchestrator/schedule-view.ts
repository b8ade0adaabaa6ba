/**
 * What the API shows about a schedule: its definition, the job's tenant once loaded, when it fires
 * next, and its runs (how many are active, the last one).
 */
import type { ScheduleDef } from './runner-config.js';
import { isActive, type RunRecord, type RunState } from './runs.js';

export interface ScheduleView {
  name: string;
  jobFile: string;
  jobName?: string;
  tenant?: string;
  cron?: string;
  intervalSeconds?: number;
  timezone: string;
  enabled: boolean;
  maxConcurrentRuns: number;
  tags: Record<string, string>;
  nextFireAt?: string;
  activeRuns: number;
  lastRun?: { id: string; state: RunState; finishedAt?: string };
}

/** `runs`: this schedule's runs, oldest first. */
export function scheduleView(
  def: ScheduleDef,
  job: { name: string; tenant: string } | undefined,
  nextAtMs: number | undefined,
  runs: readonly RunRecord[],
): ScheduleView {
  const last = runs.at(-1);
  return {
    name: def.name,
    jobFile: def.jobFile,
    ...(job ? { jobName: job.name, tenant: job.tenant } : {}),
    ...(def.cron !== undefined ? { cron: def.cron } : {}),
    ...(def.intervalSeconds !== undefined ? { intervalSeconds: def.intervalSeconds } : {}),
    timezone: def.timezone,
    enabled: def.enabled,
    maxConcurrentRuns: def.maxConcurrentRuns,
    tags: def.tags,
    ...(nextAtMs !== undefined ? { nextFireAt: new Date(nextAtMs).toISOString() } : {}),
    activeRuns: runs.filter(isActive).length,
    ...(last
      ? {
          lastRun: {
            id: last.id,
            state: last.state,
            ...(last.finishedAt ? { finishedAt: last.finishedAt } : {}),
          },
        }
      : {}),
  };
}
