/**
 * Recording runs as they happen: a one-shot `dativo run`, the scheduler of `dativo start`, and the
 * attempts a `dativo worker` takes. History is a record, not a gate: a store that cannot be opened
 * or written is logged as a warning and the run goes on.
 */
import path from 'node:path';
import type { Logger } from '../observability/logger.js';
import type { AttemptResult, RunRequest } from '../orchestrator/executor.js';
import { newOrchestratorRunId } from '../orchestrator/runs.js';
import type { Scheduler } from '../orchestrator/scheduler.js';
import { toReportError } from '../pipeline/run-job.js';
import type { StreamsReport } from '../pipeline/run-streams.js';
import { readState } from '../state/index.js';
import { entryFromReport, entryFromRunRecord, pendingEntry } from './entries.js';
import { openStore, type StoreLocation } from './index.js';
import { captureLogs, type LogCapture } from './log-capture.js';
import { notifierFromEnv } from './notify.js';
import type { HistoryStore, RunEntry } from './types.js';

/** Days a finished run is kept: $DATIVO_HISTORY_RETENTION_DAYS (default 90; 0 keeps them all). */
export function retentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.DATIVO_HISTORY_RETENTION_DAYS ?? 90);
  return Number.isFinite(v) && v >= 0 ? v : 90;
}

export async function openHistory(loc: StoreLocation, logger: Logger): Promise<HistoryStore | undefined> {
  try {
    return await openStore(loc);
  } catch (err) {
    logger.warn(
      { event_type: 'history_unavailable', err: (err as Error).message },
      `run history is not recorded: ${(err as Error).message}`,
    );
    return undefined;
  }
}

/** Writes in order, one after the other; a failed write is a warning. */
function writer(store: HistoryStore, logger: Logger) {
  let chain: Promise<void> = Promise.resolve();
  const days = retentionDays();
  return {
    write(f: (s: HistoryStore) => Promise<unknown>): Promise<void> {
      chain = chain.then(
        () => f(store).then(() => {}),
        () => {},
      );
      chain = chain.catch((err: Error) =>
        logger.warn({ event_type: 'history_write_failed', err: err.message }, `run history: ${err.message}`),
      );
      return chain;
    },
    prune(): Promise<void> {
      if (days === 0) return chain;
      return this.write((s) => s.prune(new Date(Date.now() - days * 86_400_000)));
    },
    flush: () => chain,
  };
}

export interface CliRunRecorder {
  /** The store the run is recorded in (its job lock guards the run when it is shared). */
  readonly store?: HistoryStore;
  /** The job loaded: the run is `running` from here. */
  started(job: { name: string; file: string; tenantId: string; statePath: string }): Promise<void>;
  finished(report: StreamsReport): Promise<void>;
  /** It failed before the pipeline made a report (the job did not load, ...). */
  failed(err: unknown, file: string): Promise<void>;
}

/** One `dativo run` of one job file. Every warn+ line logged meanwhile belongs to it. */
export async function recordCliRun(loc: StoreLocation, logger: Logger): Promise<CliRunRecorder> {
  const store = await openHistory(loc, logger);
  const id = newOrchestratorRunId(Date.now());
  const startedAt = new Date().toISOString();
  const ctx = { id, trigger: 'cli', origin: 'cli' as const };
  if (!store) return { async started() {}, async finished() {}, async failed() {} };
  const w = writer(store, logger);
  const logs = captureLogs(() => true);
  let stateBefore: unknown;
  const notify = notifierFromEnv(logger);
  const end = async (entry: RunEntry) => {
    logs.stop();
    await notify?.(entry);
    const lines = logs.take();
    await w.write((s) => s.saveRun(entry));
    await w.write((s) => s.appendLogs(id, lines));
    await w.prune();
    await store.close().catch(() => {});
  };
  return {
    store,
    async started(job) {
      stateBefore = await readState(job.statePath).catch(() => undefined);
      const what = { job: job.name, jobFile: job.file, tenant: job.tenantId, startedAt, status: 'running' };
      await w.write((s) => s.saveRun(pendingEntry(what, { ...ctx, stateBefore })));
    },
    async finished(report) {
      await end(entryFromReport(report, { ...ctx, stateBefore }));
    },
    async failed(err, file) {
      const what = {
        job: path.basename(file),
        jobFile: path.resolve(file),
        tenant: '',
        startedAt,
        status: 'failed',
      };
      await end(pendingEntry(what, ctx, [toReportError(err)]));
    },
  };
}

/**
 * Every run of a scheduler (notifications are sent by service.ts, also without a store), saved at each of its events (queued, attempts, finished), with the
 * warn+ log lines of its attempts. Returns a function that stops recording after the last write.
 */
export function recordScheduler(
  scheduler: Scheduler,
  store: HistoryStore,
  logger: Logger,
): () => Promise<void> {
  const w = writer(store, logger);
  const captures = new Map<string, LogCapture>();
  const off = scheduler.on((e) => {
    const run = e.run;
    if (e.type === 'run_queued') {
      captures.set(
        run.id,
        captureLogs((f) => f.orchestrator_run === run.id),
      );
    }
    const entry = entryFromRunRecord(run, 'start');
    void w.write((s) => s.saveRun(entry));
    const capture = captures.get(run.id);
    if (capture && (e.type === 'attempt_finished' || e.type === 'run_finished')) {
      const lines = capture.take();
      void w.write((s) => s.appendLogs(run.id, lines));
    }
    if (e.type === 'run_finished' || e.type === 'run_skipped') {
      capture?.stop();
      captures.delete(run.id);
      void w.prune();
    }
  });
  return async () => {
    off();
    for (const c of captures.values()) c.stop();
    await w.flush();
  };
}

/** One attempt taken by a queue worker, under the orchestrator's run id (one history across machines). */
export async function recordAttempt(
  store: HistoryStore | undefined,
  req: RunRequest,
  logger: Logger,
  attempt: () => Promise<AttemptResult>,
): Promise<AttemptResult> {
  if (!store) return attempt();
  const w = writer(store, logger);
  const ctx = {
    id: req.runId,
    trigger: req.trigger === 'retry' ? 'schedule' : req.trigger,
    origin: 'worker' as const,
    attempts: req.attempt,
    ...(req.schedule ? { schedule: req.schedule } : {}),
  };
  const what = {
    job: req.jobName,
    jobFile: req.jobFile,
    tenant: req.tenant,
    startedAt: new Date().toISOString(),
  };
  const logs = captureLogs((f) => f.orchestrator_run === req.runId);
  void w.write((s) => s.saveRun(pendingEntry({ ...what, status: 'running' }, ctx)));
  try {
    const result = await attempt();
    const entry = result.report
      ? entryFromReport(result.report, ctx)
      : pendingEntry({ ...what, status: result.status }, ctx, result.errors);
    void w.write((s) => s.saveRun(entry));
    return result;
  } finally {
    logs.stop();
    const lines = logs.take();
    void w.write((s) => s.appendLogs(req.runId, lines));
    await w.prune();
  }
}
