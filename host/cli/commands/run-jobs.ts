/**
 * What `dativo run` does once its flags are parsed: run one job file or every job below a folder,
 * print the summaries and reports. Loaded only when a run starts (the pipeline is behind it).
 */
import { findJobFiles } from '../../config/find-jobs.js';
import { resolveJob } from '../../connectors/index.js';
import { createLogger } from '../../observability/logger.js';
import { onInterrupt } from '../../pipeline/interrupt.js';
import type { RunReport } from '../../pipeline/report.js';
import { nothingNewText, toReportError } from '../../pipeline/run-job.js';
import { runStreams } from '../../pipeline/run-streams.js';
import { withStoreLock } from '../../store/job-lock.js';
import { recordCliRun } from '../../store/recorder.js';
import { loadJobForCli } from '../load.js';
import { lineageRun } from '../openlineage.js';
import { type CommonOptions, requireOneOf } from '../options.js';
import { printError, printJson, printLine, worst } from '../output.js';

/** Warn mode: where the rejected rows are and the most frequent problems, after the summary. */
function warningsText(r: RunReport): string {
  if (r.status !== 'succeeded_with_warnings') return '';
  const where = r.rejectsKey
    ? `\n  rejected rows: ${r.target.location ? `${r.target.location}/` : ''}${r.rejectsKey}`
    : '';
  const top = [...(r.validation?.counts ?? [])]
    .sort((a, b) => b.count - a.count)
    .slice(0, 5)
    .map((c) => `${c.field} ${c.rule} ×${c.count}`)
    .join(', ');
  return `${where}${top ? `\n  top problems: ${top}` : ''}`;
}

function summaryLine(r: RunReport, file: string): string {
  if (r.status === 'nothing_new')
    return `${r.job}: ${nothingNewText(r)} (exit 0; \`dativo state show --config ${file}\` shows it)`;
  const err = r.errors[0];
  const tail = err ? `: [${err.code}] ${err.location ? `${err.location}: ` : ''}${err.message}` : '';
  return (
    `${r.job}: ${r.status} (exit ${r.exitCode}) — ${r.rows.written} rows written, ` +
    `${r.rows.invalid} invalid, ${r.files.length} file(s)${r.target.location ? ` → ${r.target.location}` : ''}, ` +
    `${r.durationsMs.total} ms${tail}${warningsText(r)}`
  );
}

export interface RunFlags extends CommonOptions {
  fullRefresh?: boolean;
  openlineage?: string;
}

/**
 * Runs one job file. With `--json` its report goes to `emit` (printed at once for `--config`,
 * gathered into one document for `--job-dir`, so stdout always holds exactly one JSON document).
 */
async function runOne(
  file: string,
  opts: RunFlags & { store?: string },
  emit: (doc: unknown) => void = printJson,
): Promise<number> {
  const logger = createLogger({
    level: opts.verbose ? 'debug' : opts.quiet ? 'warn' : undefined,
    ...(opts.logFormat ? { format: opts.logFormat } : {}),
  });
  const interrupt = onInterrupt();
  const history = await recordCliRun(opts, logger);
  const lineage = lineageRun(
    opts.openlineage
      ? { url: opts.openlineage, logger, ...namespaceFromEnv(process.env.DATIVO_OPENLINEAGE_NAMESPACE) }
      : undefined,
  );
  try {
    const job = await loadJobForCli(file, opts);
    resolveJob(job);
    await history.started(job);
    await lineage.start(job);
    // The job's own logging level applies unless --verbose asks for everything.
    if (!opts.verbose && !opts.quiet)
      logger.level = job.logging.level.toLowerCase() === 'warning' ? 'warn' : job.logging.level.toLowerCase();
    // A shared store's lock lost mid-run (its session ended) stops the run like an interrupt.
    const lost = new AbortController();
    const report = await runStreams(job, {
      logger,
      signal: AbortSignal.any([interrupt.signal, lost.signal]),
      lock: withStoreLock(history.store, undefined, { onLost: (why) => lost.abort(why) }),
      progress: !opts.json && !opts.quiet,
      ...(opts.fullRefresh ? { fullRefresh: true } : {}),
    });
    await history.finished(report);
    await lineage.finish(report);
    if (opts.json) emit(report);
    else if (!opts.quiet || report.exitCode !== 0) printLine(summaryLine(report, file));
    // A failed run always explains itself on stderr, also when stdout carries the JSON report.
    if (report.exitCode === 2 && opts.json) printLine(summaryLine(report, file));
    return report.exitCode;
  } catch (err) {
    await history.failed(err, file);
    await lineage.failed(toReportError(err));
    printError(err, opts.verbose ?? false);
    if (opts.json) emit({ jobFile: file, status: 'failed', exitCode: 2, errors: [toReportError(err)] });
    return 2;
  } finally {
    interrupt.dispose();
  }
}

const namespaceFromEnv = (ns: string | undefined) => (ns ? { namespace: ns } : {});

/** Runs `--config` or every job below `--job-dir`; sets the worst exit code. */
export async function runJobs(opts: RunFlags, setExit: (code: number) => void): Promise<void> {
  requireOneOf(opts, true);
  if (opts.config) return setExit(await runOne(opts.config, opts));
  const jobDir = opts.jobDir!;
  let files: string[];
  try {
    files = await findJobFiles(jobDir);
  } catch (err) {
    printError(err, opts.verbose ?? false);
    if (opts.json)
      printJson({ jobDir, status: 'failed', exitCode: 2, jobs: [], errors: [toReportError(err)] });
    return setExit(2);
  }
  if (files.length === 0) {
    printLine(`error [CONFIG_NOT_FOUND]: no job files found below ${jobDir}`);
    if (opts.json) printJson({ jobDir, status: 'failed', exitCode: 2, jobs: [] });
    return setExit(2);
  }
  const codes: number[] = [];
  const reports: unknown[] = [];
  for (const f of files) codes.push(await runOne(f, opts, (doc) => reports.push(doc)));
  const ok = codes.filter((c) => c === 0).length;
  const warned = codes.filter((c) => c === 1).length;
  const failed = codes.filter((c) => c === 2).length;
  printLine(`${files.length} job(s): ${ok} ok, ${warned} with warnings, ${failed} failed`);
  const exitCode = worst(codes);
  if (opts.json)
    printJson({ jobDir, exitCode, summary: { jobs: files.length, ok, warned, failed }, jobs: reports });
  setExit(exitCode);
}
