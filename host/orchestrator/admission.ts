/**
 * Admission: which firings become runs and which waiting runs may execute now. Pure functions over
 * the scheduler's run records, so the rules read in one place (see .notes/operations-readme.md):
 * - A schedule has at most `max_concurrent_runs` active runs (queued, running, between retries); a
 *   firing beyond that is skipped, not queued.
 * - One job never executes twice at once.
 * - The global `max_concurrent_runs` and `concurrency_per_tenant` bound executing runs; the rest wait
 *   in FIFO order, and a run blocked by its tenant (or its job) does not hold up the runs behind it.
 */
import type { RunRecord } from './runs.js';

export interface Limits {
  /** Runs executing at once, all tenants. */
  maxConcurrentRuns?: number;
  /** Runs executing at once per tenant. */
  concurrencyPerTenant?: number;
}

/** Why a firing is skipped, or undefined when the schedule has room for another active run. */
export function skipReason(activeRuns: number, maxConcurrentRuns: number): string | undefined {
  if (activeRuns < maxConcurrentRuns) return undefined;
  return `schedule already has ${activeRuns} active run(s) (max_concurrent_runs ${maxConcurrentRuns})`;
}

/**
 * Take out of `queue` (in place, oldest first) every entry that may start now and return them in
 * start order. `executing` are the runs executing now; `busyJobs` the job files among them.
 */
export function admit<T extends { run: RunRecord }>(
  queue: T[],
  executing: readonly RunRecord[],
  busyJobs: ReadonlySet<string>,
  limits: Limits,
): T[] {
  let total = executing.length;
  const perTenant = new Map<string, number>();
  for (const r of executing) perTenant.set(r.tenant, (perTenant.get(r.tenant) ?? 0) + 1);
  // Jobs started in this pass count as busy too: two queued runs of one job never start together.
  const jobs = new Set(busyJobs);
  const started: T[] = [];
  for (let i = 0; i < queue.length; ) {
    const entry = queue[i]!;
    const tenantCount = perTenant.get(entry.run.tenant) ?? 0;
    const blocked =
      jobs.has(entry.run.jobFile) ||
      (limits.maxConcurrentRuns !== undefined && total >= limits.maxConcurrentRuns) ||
      (limits.concurrencyPerTenant !== undefined && tenantCount >= limits.concurrencyPerTenant);
    if (blocked) {
      i++;
      continue;
    }
    queue.splice(i, 1);
    total++;
    perTenant.set(entry.run.tenant, tenantCount + 1);
    jobs.add(entry.run.jobFile);
    started.push(entry);
  }
  return started;
}
