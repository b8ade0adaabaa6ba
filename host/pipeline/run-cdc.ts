/**
 * The change data capture path of runJob: `source.type: postgres_cdc` does not flow through the
 * Source → validator → Sink pipeline (its commits are per change batch and carry deletes), but it
 * shares runJob's lock, report and error handling, so `dativo run` and the orchestrator run it the
 * same way.
 */
import type { ResolvedJob } from '../config/types.js';
import { resolveJob } from '../connectors/index.js';
import type { Logger } from '../observability/logger.js';
import type { RunReport } from './report.js';

export function isCdcJob(job: ResolvedJob): boolean {
  return job.source.type === 'postgres_cdc';
}

/** Runs the capture and fills the report's counts; throws what the run reports as its error. */
export async function runCdc(
  job: ResolvedJob,
  report: RunReport,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  resolveJob(job); // the Iceberg-only rule and the registry's, as `validate` applies them
  const { runPostgresCdc } = await import('../sources/postgres-cdc/run.js');
  const started = Date.now();
  const r = await runPostgresCdc(job, { logger: log, signal });
  report.durationsMs.extract = Date.now() - started;
  report.rows.read = r.copiedRows + r.changes;
  report.rows.written = r.copiedRows + r.changes;
  report.state = {
    cdc: { position: r.position, commits: r.commits, copied_rows: r.copiedRows, changes: r.changes },
  };
  log.info(
    {
      event_type: 'cdc_done',
      position: r.position,
      commits: r.commits,
      copied: r.copiedRows,
      changes: r.changes,
    },
    `cdc: ${r.copiedRows} row(s) copied, ${r.changes} change(s) in ${r.commits} commit(s), position ${r.position}`,
  );
}
