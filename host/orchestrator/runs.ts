/**
 * What the orchestrator remembers about runs: one record per run (a schedule firing or a manual
 * trigger), with one entry per attempt and each attempt's run report. In memory, newest kept: the
 * commit records in the targets stay the source of truth for what was written.
 */
import { randomBytes } from 'node:crypto';
import type { RunReport, RunStatus } from '../pipeline/report.js';
import type { RunTrigger } from './executor.js';

export type RunState =
  | 'queued' // waiting for a concurrency slot
  | 'running'
  | 'retry_wait' // an attempt failed with a retryable error; the next one is timed
  | 'succeeded'
  | 'succeeded_with_warnings'
  | 'nothing_new'
  | 'failed'
  | 'interrupted' // stopped by shutdown
  | 'cancelled' // stopped through the API
  | 'skipped'; // the schedule already had max_concurrent_runs active runs

export const ACTIVE_STATES: ReadonlySet<RunState> = new Set(['queued', 'running', 'retry_wait']);

export interface AttemptRecord {
  attempt: number;
  runKey: string;
  startedAt: string;
  finishedAt?: string;
  status?: RunStatus;
  exitCode?: 0 | 1 | 2;
  errors: RunReport['errors'];
  report?: RunReport;
  /** Set when this attempt's failure led to a retry: how long the scheduler waited. */
  retryDelayMs?: number;
}

export interface RunRecord {
  id: string;
  schedule?: string;
  trigger: Exclude<RunTrigger, 'retry'>;
  jobFile: string;
  jobName: string;
  tenant: string;
  tags: Record<string, string>;
  state: RunState;
  createdAt: string;
  /** The schedule's planned fire time (schedule triggers only). */
  plannedAt?: string;
  finishedAt?: string;
  nextAttemptAt?: string;
  /** Why it was skipped, cancelled or interrupted. */
  reason?: string;
  attempts: AttemptRecord[];
}

export function newOrchestratorRunId(nowMs: number): string {
  const stamp = new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/** A new run of a schedule, `queued` until admission decides (it may become `skipped`). */
export function newRunRecord(
  schedule: { name: string; jobFile: string; tags: Record<string, string> },
  job: { name: string; tenant: string },
  trigger: RunRecord['trigger'],
  nowMs: number,
  plannedAtMs?: number,
): RunRecord {
  return {
    id: newOrchestratorRunId(nowMs),
    schedule: schedule.name,
    trigger,
    jobFile: schedule.jobFile,
    jobName: job.name,
    tenant: job.tenant,
    tags: { ...schedule.tags },
    state: 'queued',
    createdAt: new Date(nowMs).toISOString(),
    ...(plannedAtMs !== undefined ? { plannedAt: new Date(plannedAtMs).toISOString() } : {}),
    attempts: [],
  };
}

export function isActive(run: RunRecord): boolean {
  return ACTIVE_STATES.has(run.state);
}

/** Run records by id, in creation order; finished ones beyond `keep` are forgotten, oldest first. */
export class RunBook {
  private readonly runs = new Map<string, RunRecord>();

  constructor(private readonly keep = 1000) {}

  add(run: RunRecord): void {
    this.runs.set(run.id, run);
    if (this.runs.size <= this.keep) return;
    for (const [id, r] of this.runs) {
      if (this.runs.size <= this.keep) break;
      if (!isActive(r)) this.runs.delete(id);
    }
  }

  get(id: string): RunRecord | undefined {
    return this.runs.get(id);
  }

  all(): RunRecord[] {
    return [...this.runs.values()];
  }
}
