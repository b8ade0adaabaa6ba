/**
 * The embedded executor: each attempt runs in this process through exactly the code path of
 * `dativo run --config` (load with the tenant's secrets, refuse unimplemented connectors, runJob).
 * Cancelling aborts the run's AbortSignal; the pipeline then stops between batches and commits
 * nothing (a commit whose record is already written completes, per the commit protocol).
 */
import { loadJobForCli } from '../cli/load.js';
import type { CommonOptions } from '../cli/options.js';
import type { ResolvedJob } from '../config/types.js';
import { resolveJob } from '../connectors/index.js';
import type { Logger } from '../observability/logger.js';
import { trackActiveRun } from '../observability/metrics.js';
import type { RunReport } from '../pipeline/report.js';
import { type RunOptions, runJob, toReportError } from '../pipeline/run-job.js';
import type { AttemptResult, RunExecutor, RunHandle, RunRequest } from './executor.js';

/** What loading a job needs: the CLI's secret-manager and state flags. */
export type JobLoadOptions = Pick<
  CommonOptions,
  'mode' | 'secretManager' | 'secretsDir' | 'secretManagerConfig' | 'stateDir'
>;

export interface InProcessExecutorOptions {
  logger: Logger;
  load: JobLoadOptions;
  /** The job's lock (default: the pid file lock of the pipeline); with a shared store, also its lock. */
  lock?: RunOptions['lock'];
  /** Test seams: replace loading or running (defaults: the CLI's loader and the pipeline). */
  loadJob?: (file: string) => Promise<ResolvedJob>;
  runJob?: (job: ResolvedJob, opts: RunOptions) => Promise<RunReport>;
}

export function createInProcessExecutor(opts: InProcessExecutorOptions): RunExecutor {
  const running = new Map<string, AbortController>();
  const load = opts.loadJob ?? ((file: string) => loadJobForCli(file, { ...opts.load }));
  const run = opts.runJob ?? runJob;

  async function attempt(req: RunRequest, controller: AbortController): Promise<AttemptResult> {
    const logger = opts.logger.child({ orchestrator_run: req.runId, attempt: req.attempt });
    const untrack = trackActiveRun(req.tenant);
    try {
      const job = await load(req.jobFile);
      resolveJob(job);
      if (controller.signal.aborted) {
        return { status: 'interrupted', exitCode: 2, errors: [interruptedError(controller.signal)] };
      }
      const report = await run(job, {
        logger,
        signal: controller.signal,
        progress: false,
        ...(opts.lock ? { lock: opts.lock } : {}),
      });
      return { status: report.status, exitCode: report.exitCode, errors: report.errors, report };
    } catch (err) {
      return { status: 'failed', exitCode: 2, errors: [toReportError(err)] };
    } finally {
      untrack();
      running.delete(req.runKey);
    }
  }

  return {
    kind: 'in-process',
    async submit(req: RunRequest): Promise<RunHandle> {
      const controller = new AbortController();
      running.set(req.runKey, controller);
      return { runKey: req.runKey, result: attempt(req, controller) };
    },
    async cancel(runKey: string, reason = 'cancelled'): Promise<boolean> {
      const controller = running.get(runKey);
      if (!controller) return false;
      controller.abort(new Error(reason));
      return true;
    },
  };
}

function interruptedError(signal: AbortSignal): RunReport['errors'][number] {
  const why = signal.reason instanceof Error ? signal.reason.message : 'interrupted';
  return { code: 'INTERRUPTED', message: `${why}; nothing was committed`, retryable: false };
}
