/**
 * How the scheduler gets a run executed, whatever executes it: in this process (the embedded
 * default, `in-process.ts`) or through a queue on other machines (BullMQ workers). One `submit` is
 * one attempt; retries, backoff and concurrency limits stay with the scheduler, so every executor
 * behaves the same under them.
 */
import type { RunReport, RunStatus } from '../pipeline/report.js';

export type RunTrigger = 'schedule' | 'manual' | 'retry';

export interface RunRequest {
  /** Unique per attempt: `<runId>#<attempt>`. An executor may use it as its queue job id. */
  runKey: string;
  /** The scheduler's run id (stable across the attempts of one run). */
  runId: string;
  /** Absolute path of the job file; the executor loads it (secrets included) as `dativo run` does. */
  jobFile: string;
  jobName: string;
  tenant: string;
  /** 1 for the first try. */
  attempt: number;
  schedule?: string;
  trigger: RunTrigger;
  tags: Record<string, string>;
}

/**
 * The end of one attempt. A failure before the pipeline could start (the job no longer loads, a
 * secret is gone) is an attempt result too, with `report` absent; `submit`'s result never rejects.
 */
export interface AttemptResult {
  status: RunStatus;
  exitCode: 0 | 1 | 2;
  errors: RunReport['errors'];
  report?: RunReport;
}

export interface RunHandle {
  runKey: string;
  /** Resolves when the attempt has ended (committed, failed, or interrupted with nothing partial). */
  result: Promise<AttemptResult>;
}

export interface RunExecutor {
  /** `in-process` | `queue` ...; shown by the API. */
  readonly kind: string;
  /**
   * Start (or enqueue) one attempt. The scheduler calls this only when its limits allow the run to
   * execute now, so an executor needs no admission control of its own.
   */
  submit(req: RunRequest): Promise<RunHandle>;
  /**
   * Ask a running attempt to stop through the pipeline's AbortSignal: it ends as `interrupted`,
   * nothing committed (unless its commit record was already written; then it completes). Returns
   * false when the executor does not know the run key (already finished).
   */
  cancel(runKey: string, reason?: string): Promise<boolean>;
  /** Release resources (connections); the scheduler has already waited for or cancelled its runs. */
  close?(): Promise<void>;
}
