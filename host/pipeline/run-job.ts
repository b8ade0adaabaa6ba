/**
 * One run of one job: extract → validate → tag → stage Parquet → commit (with state) → report.
 * Backpressure comes from awaiting the sink, whose encoder worker bounds the batches in flight,
 * so the source never reads further ahead than the sink can take.
 */
import type { ResolvedJob } from '../config/types.js';
import { openSink, openSource, resolveSink, targetLocation } from '../connectors/index.js';
import { createValidator } from '../contract/validate.js';
import { environmentError } from '../environment-errors.js';
import { DativoError, formatLocation } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { recordRunReport } from '../observability/metrics.js';
import { createProgress, knownSourceBytes } from '../observability/progress.js';
import { createProgressLog } from '../observability/progress-log.js';
import { startStage, traceRun, traceStep } from '../observability/tracing.js';
import { masker } from '../secrets/masker.js';
import { SimulatedCrash } from '../sinks/file-sink.js';
import { newRunId } from '../sinks/run-id.js';
import type { CommitRecord, CommitRequest, Sink } from '../sinks/sink.js';
import type { Source, SourceState } from '../sources/source.js';
import { acquireLock, createStateStore, reconcileState, stateFileOf } from '../state/index.js';
import { deriveTags, tagsToKeyValue } from '../tags/index.js';
import { faultHooks } from './faults.js';
import { createRejectsFile, type RejectsFile } from './rejects-file.js';
import { countByCode, exitCodeFor, filesOf, pluginInfo, type RunReport, type RunStatus } from './report.js';
import { isCdcJob, runCdc } from './run-cdc.js';

export interface RunOptions {
  logger: Logger;
  signal: AbortSignal;
  /** Rows per batch between source and sink. */
  batchSize?: number;
  progress?: boolean;
  /**
   * Re-read everything (state ignored) and replace the job's earlier data in the target with this
   * run's, in the commit itself. Local and S3 targets; Iceberg and writer plugins are refused.
   */
  fullRefresh?: boolean;
  /** The job's lock (default: the pid lock file beside the state file); queue workers lock in Redis. */
  lock?: (job: ResolvedJob) => Promise<{ release(): Promise<void> }>;
}

const DEFAULT_BATCH_ROWS = 65_536;

/** An error as the run report lists it (also for failures before a run starts). */
export function toReportError(err: unknown): RunReport['errors'][number] {
  if (err instanceof DativoError) {
    const loc = formatLocation(err.location);
    return {
      code: err.code,
      message: masker.mask(err.message),
      ...(loc ? { location: loc } : {}),
      retryable: err.retryable,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: masker.mask(message), retryable: false };
}

function interrupted(signal: AbortSignal): DativoError {
  const why = signal.reason instanceof Error ? signal.reason.message : 'interrupted';
  return new DativoError('INTERRUPTED', `${why}; nothing was committed`);
}

/** One run, traced (a span per run and stage) and counted in the metrics from its report. */
export async function runJob(job: ResolvedJob, opts: RunOptions): Promise<RunReport> {
  const report = await traceRun(job, () => runJobStages(job, opts));
  recordRunReport(report);
  return report;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
async function runJobStages(job: ResolvedJob, opts: RunOptions): Promise<RunReport> {
  const runId = newRunId();
  const started = Date.now();
  const log = opts.logger.child({ tenant_id: job.tenantId, job_name: job.name, run_id: runId });
  const report: RunReport = {
    runId,
    job: job.name,
    jobFile: job.file,
    tenant: job.tenantId,
    status: 'failed',
    exitCode: 2,
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    durationsMs: { total: 0, extract: 0, commit: 0 },
    source: { type: job.source.type, engine: job.source.engine, files: job.source.files.map((f) => f.path) },
    target: { type: job.target.type, location: await targetLocation(job) },
    contract: { id: job.contract.id, name: job.contract.name, version: job.contract.version },
    rows: { read: 0, written: 0, invalid: 0 },
    bytes: { read: 0, written: 0 },
    files: [],
    errors: [],
    errorsByCode: {},
  };
  log.info({ event_type: 'job_started', source: job.source.type, target: job.target.type }, 'job started');
  // The effective config helps debugging; credentials in it are masked by the logger's stream.
  log.debug(
    { event_type: 'job_config', source: job.source.config, target: job.target.config },
    'effective config',
  );

  let lock: { release(): Promise<void> } | undefined;
  let sink: Sink | undefined;
  let source: Source | undefined;
  let committing = false;
  let rejects: RejectsFile | undefined;
  try {
    if (opts.fullRefresh) refuseFullRefresh(job);
    lock = await (opts.lock ?? ((j: ResolvedJob) => acquireLock(j.statePath)))(job);
    if (isCdcJob(job)) {
      await runCdc(job, report, log, opts.signal);
      return finish(report, 'succeeded', started, log);
    }
    const openStage = startStage('open');

    const batchSize = opts.batchSize ?? DEFAULT_BATCH_ROWS;
    source = await openSource(job, batchSize, { logger: log });
    // Filled once the source is open (its tags come from its catalog: column comments, keys);
    // the sink reads it when it starts its first file, after that.
    const kv: Record<string, string> = {};
    sink = await openSink(job, { runId, kvMetadata: kv, logger: log });
    notePlugins(report, source, sink);
    const recovery = await sink.open({
      runId,
      job: job.name,
      tenant: job.tenantId,
      logger: log,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    report.recovery = { rolledForward: recovery.rolledForward, cleaned: recovery.cleaned };
    if (recovery.rolledForward.length > 0) {
      log.warn(
        { event_type: 'commit_rolled_forward', runs: recovery.rolledForward },
        'completed an interrupted commit',
      );
    }
    const stateStore = createStateStore(job.statePath);
    const reconciled = await reconcileState(await stateStore.read(), recovery.latest, stateStore);
    const state: SourceState = opts.fullRefresh ? {} : reconciled;

    await source.open({ state, logger: log, signal: opts.signal, batchSize });
    noteSandbox(report, source, log);
    Object.assign(
      kv,
      tagsToKeyValue(
        deriveTags({
          contract: job.contract,
          classificationOverrides: job.classificationOverrides,
          finops: job.finops,
          governanceOverrides: job.governanceOverrides,
          sourceTags: source.sourceTags?.(),
          tenant: job.tenantId,
        }),
      ),
    );
    report.tags = kv;
    openStage.end();
    if (source.nothingNew?.()) {
      await sink.abort('nothing new');
      report.state = state;
      report.since = {
        ...(recovery.latest ? { runId: recovery.latest.runId, committedAt: recovery.latest.createdAt } : {}),
        statePath: job.statePath,
      };
      return finish(report, 'nothing_new', started, log);
    }

    const validator = createValidator(job.contract, job.validationMode, { logger: log });
    rejects = createRejectsFile(runId);
    const total = opts.progress ? await knownSourceBytes(job.source.files.map((f) => f.path)) : undefined;
    const progress = createProgress(job.name, total, opts.progress ?? false);
    // No terminal, no bar: a log line every few seconds instead.
    const progressLog = createProgressLog(log, {
      enabled: (opts.progress ?? false) && !process.stderr.isTTY,
    });
    const extractStart = Date.now();
    const extractStage = startStage('extract');
    let strictFailed = false;
    try {
      for await (const input of source.read()) {
        if (opts.signal.aborted) throw interrupted(opts.signal);
        report.rows.read += input.batch.numRows + (input.rowErrors?.length ?? 0);
        report.bytes.read += input.bytesRead ?? 0;
        const result = traceStep('validate', () => validator.validate(input), { rows: input.batch.numRows });
        report.rows.invalid += result.invalidRows;
        if (job.validationMode === 'strict' && result.invalidRows > 0) strictFailed = true;
        // A strict failure commits nothing, so its rejects are only reported, not kept.
        if (!strictFailed) for (const r of result.rejects) await rejects.add(r);
        // After a strict failure keep reading to report every problem, but stage nothing more.
        if (!strictFailed && result.batch.numRows > 0) {
          await sink.write(result.batch);
          report.rows.written += result.batch.numRows;
        }
        progress.update(report.rows.read, report.bytes.read);
        progressLog.update(report.rows.read, report.bytes.read);
      }
    } finally {
      progress.stop();
    }
    report.durationsMs.extract = Date.now() - extractStart;
    extractStage.end();
    const summary = validator.summary();
    report.validation = {
      mode: job.validationMode,
      issuesTotal: summary.issuesTotal,
      firstIssues: summary.firstIssues,
      counts: summary.counts,
      ...(summary.columnMismatch ? { columnMismatch: summary.columnMismatch } : {}),
    };
    if (summary.issuesTotal > 0) {
      log.warn(
        { event_type: 'validation_errors', issues: summary.issuesTotal, counts: summary.counts.slice(0, 20) },
        `${summary.issuesTotal} validation issue(s) in ${report.rows.invalid} row(s)`,
      );
    }
    if (opts.signal.aborted) throw interrupted(opts.signal);
    if (strictFailed) {
      report.rows.written = 0;
      throw strictFailure(summary.firstIssues, summary.issuesTotal, report.rows.invalid);
    }

    const commitStart = Date.now();
    const commitStage = startStage('commit');
    committing = true;
    const newState = source.checkpoint();
    const crashAt = faultHooks().crashAfter;
    const { record } = await sink.commit({
      state: newState,
      rejectsFile: await rejects.finish(),
      ...(opts.fullRefresh ? { replace: true } : {}),
      ...(crashAt ? { _crashAfter: crashAt } : {}),
    } as CommitRequest);
    committing = false;
    await stateStore.write(stateFileOf(record));
    report.durationsMs.commit = Date.now() - commitStart;
    commitStage.end();
    report.state = record.state;
    recordCommit(report, record);
    log.info(
      { event_type: 'batch_written', files: record.files.length, rows: record.rows, bytes: record.bytes },
      `committed ${record.rows} rows in ${record.files.length} file(s)`,
    );
    return finish(report, summary.issuesTotal > 0 ? 'succeeded_with_warnings' : 'succeeded', started, log);
  } catch (err) {
    if (err instanceof SimulatedCrash) faultHooks().onSimulatedCrash?.(err);
    report.errors.push(toReportError(environmentError(err) ?? err));
    // A commit that got as far as its record is rolled forward by the next start; otherwise drop staging.
    if (sink && !committing) await sink.abort(String(err)).catch(() => {});
    const status: RunStatus =
      err instanceof DativoError && err.code === 'INTERRUPTED' ? 'interrupted' : 'failed';
    log.error(
      { event_type: 'job_error', error_code: report.errors[0]?.code },
      report.errors[0]?.message ?? 'failed',
    );
    return finish(report, status, started, log);
  } finally {
    await source?.close().catch(() => {});
    await rejects?.dispose();
    await lock?.release().catch(() => {});
  }
}

/** The report names the plugins that really ran, not just the recipe types the job names. */
function notePlugins(report: RunReport, source: Source, sink: Sink): void {
  const reader = pluginInfo(source.kind);
  if (reader) report.source.plugin = reader;
  const writer = pluginInfo(sink.kind);
  if (writer) report.target.plugin = writer;
}

/** The report says how an engine's connector was isolated, and flags a run without a sandbox. */
function noteSandbox(report: RunReport, source: Source, log: Logger): void {
  const info = source.runInfo?.();
  if (!info) return;
  report.source.sandbox = info.sandbox;
  if (info.image) report.source.image = info.image;
  if (info.unsandboxed) {
    report.source.unsandboxed = true;
    log.warn(
      { event_type: 'source_unsandboxed', sandbox: info.sandbox },
      'the connector runs without a sandbox (unsandboxed: true): it can read and reach what this process can',
    );
  }
}

function strictFailure(
  firstIssues: { line?: number; field: string; rule: string; message: string; value?: string }[],
  total: number,
  rows: number,
) {
  const shown = firstIssues
    .slice(0, 10)
    // The value is already masked (***) when the field's classification is sensitive.
    .map(
      (i) =>
        `  line ${i.line ?? '?'}, field ${i.field}: ${i.message} [${i.rule}]${i.value !== undefined ? ` (value ${JSON.stringify(i.value)})` : ''}`,
    )
    .join('\n');
  const more = total > 10 ? `\n  ... and ${total - 10} more (see the run report)` : '';
  return new DativoError(
    'VALIDATION_FAILED',
    `strict validation failed: ${total} issue(s) in ${rows} row(s); nothing was committed\n${shown}${more}`,
  );
}

function recordCommit(report: RunReport, record: CommitRecord): void {
  report.files = filesOf(record);
  if (record.rejectsKey) report.rejectsKey = record.rejectsKey;
  report.bytes.written = record.bytes;
  report.rows.written = record.rows;
}

/**
 * Full refresh replaces files through the commit protocol; a target whose adapter row does not
 * declare the capability (Iceberg tables, writer plugins) refuses it before anything is read.
 */
function refuseFullRefresh(job: ResolvedJob): void {
  const sink = resolveSink(job);
  if (sink.capabilities.fullRefresh) return;
  const by =
    sink.selectedBy === 'plugin'
      ? 'a writer plugin'
      : sink.capabilities.tables
        ? 'an Iceberg table'
        : `target ${sink.name}`;
  throw new DativoError(
    'NOT_IMPLEMENTED',
    `--full-refresh is not supported for ${by} yet (local and S3 targets only); nothing was read or written`,
    { location: { file: job.file, keyPath: 'target_connector_path' } },
  );
}

/** "nothing new since …" in plain words: which commit, and where the state that says so lives. */
export function nothingNewText(report: Pick<RunReport, 'since'>): string {
  const s = report.since;
  const commit = s?.runId ? `the last commit (run ${s.runId}, ${s.committedAt})` : 'the saved state';
  return `nothing new since ${commit}; state: ${s?.statePath ?? 'none'}`;
}

function finish(report: RunReport, status: RunStatus, started: number, log: Logger): RunReport {
  report.status = status;
  report.exitCode = exitCodeFor(status);
  report.finishedAt = new Date().toISOString();
  report.durationsMs.total = Date.now() - started;
  report.errorsByCode = countByCode(report.errors);
  const usage = process.resourceUsage();
  report.resources = {
    peakRssMb: Math.round(usage.maxRSS / 1024),
    cpuUserMs: Math.round(usage.userCPUTime / 1000),
    cpuSystemMs: Math.round(usage.systemCPUTime / 1000),
  };
  log.info(
    {
      event_type: 'job_finished',
      status,
      exit_code: report.exitCode,
      rows: report.rows,
      duration_ms: report.durationsMs.total,
    },
    status === 'nothing_new' ? nothingNewText(report) : `job ${status}`,
  );
  return report;
}
