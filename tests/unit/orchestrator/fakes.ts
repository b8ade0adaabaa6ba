/** A scripted executor on the manual clock: each attempt takes clock time and ends as scripted. */
import type { RetryConfig } from '../../../host/config/types.js';
import type { ManualClock, TimerHandle } from '../../../host/orchestrator/clock.js';
import type { AttemptResult, RunExecutor, RunRequest } from '../../../host/orchestrator/executor.js';
import type { ScheduleDef } from '../../../host/orchestrator/runner-config.js';
import type { JobInfo } from '../../../host/orchestrator/scheduler.js';

export interface Script {
  durationMs: number;
  /** Outcome of attempt n (1-based); the last entry repeats. */
  outcomes: ('ok' | 'retryable' | 'fatal')[];
}

export interface Execution {
  req: RunRequest;
  start: number;
  end?: number;
  result?: AttemptResult;
}

export const RETRY: RetryConfig = {
  maxRetries: 3,
  initialDelaySeconds: 5,
  maxDelaySeconds: 12,
  backoffMultiplier: 3,
  retryableExitCodes: [2],
  retryableErrorPatterns: ['CONNECTION_FAILED'],
};

export function scheduleDef(name: string, over: Partial<ScheduleDef>): ScheduleDef {
  return {
    name,
    jobFile: `/jobs/${name}.yaml`,
    enabled: true,
    timezone: 'UTC',
    maxConcurrentRuns: 1,
    tags: {},
    ...over,
  };
}

export function jobInfos(tenants: Record<string, string>, retry = RETRY): (file: string) => Promise<JobInfo> {
  return async (file) => {
    const name = file.replace(/^.*\/|\.yaml$/g, '');
    const tenant = tenants[name];
    if (!tenant) throw new Error(`no job ${file}`);
    return { name, tenant, retry };
  };
}

export function fakeExecutor(clock: ManualClock, scripts: Record<string, Script>) {
  const executions: Execution[] = [];
  const live = new Map<string, { timer: TimerHandle; finish: (r: AttemptResult) => void }>();
  const cancels: string[] = [];
  // Largest number of simultaneous executions seen: overall, per tenant, per job.
  const peak = { total: 0, tenant: new Map<string, number>(), job: new Map<string, number>() };
  const running = () => executions.filter((e) => e.end === undefined);

  const executor: RunExecutor = {
    kind: 'fake',
    async submit(req) {
      const script = scripts[req.jobName];
      if (!script) throw new Error(`no script for ${req.jobName}`);
      const exec: Execution = { req, start: clock.now() };
      executions.push(exec);
      const now = running();
      peak.total = Math.max(peak.total, now.length);
      const count = (pred: (e: Execution) => boolean) => now.filter(pred).length;
      peak.tenant.set(
        req.tenant,
        Math.max(
          peak.tenant.get(req.tenant) ?? 0,
          count((e) => e.req.tenant === req.tenant),
        ),
      );
      peak.job.set(
        req.jobFile,
        Math.max(
          peak.job.get(req.jobFile) ?? 0,
          count((e) => e.req.jobFile === req.jobFile),
        ),
      );
      const result = new Promise<AttemptResult>((resolve) => {
        const finish = (r: AttemptResult) => {
          clock.clearTimer(entry.timer);
          live.delete(req.runKey);
          exec.end = clock.now();
          exec.result = r;
          resolve(r);
        };
        const outcome = script.outcomes[Math.min(req.attempt, script.outcomes.length) - 1] ?? 'ok';
        const entry = {
          finish,
          timer: clock.setTimer(() => finish(resultOf(outcome)), script.durationMs),
        };
        live.set(req.runKey, entry);
      });
      return { runKey: req.runKey, result };
    },
    async cancel(runKey, reason = 'cancelled') {
      const entry = live.get(runKey);
      cancels.push(runKey);
      if (!entry) return false;
      entry.finish({
        status: 'interrupted',
        exitCode: 2,
        errors: [{ code: 'INTERRUPTED', message: `${reason}; nothing was committed`, retryable: false }],
      });
      return true;
    },
  };
  return { executor, executions, peak, cancels };
}

function resultOf(outcome: 'ok' | 'retryable' | 'fatal'): AttemptResult {
  if (outcome === 'ok') return { status: 'succeeded', exitCode: 0, errors: [] };
  if (outcome === 'retryable') {
    return {
      status: 'failed',
      exitCode: 2,
      errors: [{ code: 'CONNECTION_FAILED', message: 'connection refused by db:5432', retryable: true }],
    };
  }
  return {
    status: 'failed',
    exitCode: 2,
    errors: [{ code: 'VALIDATION_FAILED', message: 'strict validation failed', retryable: false }],
  };
}
