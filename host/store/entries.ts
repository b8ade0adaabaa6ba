/**
 * A run report (or an orchestrator run record) as a history entry. Error messages come from the
 * report, where they were masked already; they pass the masker again on the way in, so a secret
 * registered since still never reaches the store.
 */
import os from 'node:os';
import type { RunRecord } from '../orchestrator/runs.js';
import type { RunReport } from '../pipeline/report.js';
import type { StreamsReport } from '../pipeline/run-streams.js';
import { masker } from '../secrets/masker.js';
import type { RunEntry, RunOrigin, StreamSummary } from './types.js';

export const thisHost = () => `${os.hostname()}:${process.pid}`;

export interface EntryContext {
  id: string;
  trigger: string;
  origin: RunOrigin;
  schedule?: string;
  attempts?: number;
  stateBefore?: unknown;
}

function streamsOf(report: StreamsReport): StreamSummary[] {
  const per = report.streams ?? { [report.job]: report };
  return Object.entries(per).map(([name, r]) => ({
    name,
    status: r.status,
    rows: { ...r.rows },
    bytes: { ...r.bytes },
    files: r.files.length,
  }));
}

function firstError(errors: RunReport['errors']): Pick<RunEntry, 'errorCode' | 'errorMessage'> {
  const e = errors[0];
  if (!e) return {};
  const where = e.location ? `${e.location}: ` : '';
  return { errorCode: e.code, errorMessage: masker.mask(`${where}${e.message}`) };
}

export function entryFromReport(report: StreamsReport, ctx: EntryContext): RunEntry {
  return {
    id: ctx.id,
    job: report.job,
    jobFile: report.jobFile,
    tenant: report.tenant,
    trigger: ctx.trigger,
    ...(ctx.schedule ? { schedule: ctx.schedule } : {}),
    origin: ctx.origin,
    host: thisHost(),
    status: report.status,
    exitCode: report.exitCode,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    durationMs: report.durationsMs.total,
    attempts: ctx.attempts ?? 1,
    rows: { ...report.rows },
    bytes: { ...report.bytes },
    streams: streamsOf(report),
    files: report.files,
    ...(ctx.stateBefore !== undefined ? { stateBefore: ctx.stateBefore } : {}),
    ...(report.state !== undefined ? { stateAfter: report.state } : {}),
    ...firstError(report.errors),
    ...(report.resources ? { peakRssMb: report.resources.peakRssMb } : {}),
  };
}

/** A run that has not finished, or that failed before the pipeline made a report. */
export function pendingEntry(
  what: { job: string; jobFile: string; tenant: string; startedAt: string; status: string },
  ctx: EntryContext,
  errors: RunReport['errors'] = [],
): RunEntry {
  return {
    id: ctx.id,
    job: what.job,
    jobFile: what.jobFile,
    tenant: what.tenant,
    trigger: ctx.trigger,
    ...(ctx.schedule ? { schedule: ctx.schedule } : {}),
    origin: ctx.origin,
    host: thisHost(),
    status: what.status,
    ...(errors.length > 0 ? { exitCode: 2, finishedAt: new Date().toISOString() } : {}),
    startedAt: what.startedAt,
    attempts: ctx.attempts ?? 1,
    rows: { read: 0, written: 0, invalid: 0 },
    bytes: { read: 0, written: 0 },
    streams: [],
    files: [],
    ...(ctx.stateBefore !== undefined ? { stateBefore: ctx.stateBefore } : {}),
    ...firstError(errors),
  };
}

/** The orchestrator's view of a run: its state, and the last attempt's report when there is one. */
export function entryFromRunRecord(run: RunRecord, origin: RunOrigin): RunEntry {
  const last = run.attempts.at(-1);
  const ctx: EntryContext = {
    id: run.id,
    trigger: run.trigger,
    origin,
    attempts: Math.max(1, run.attempts.length),
    ...(run.schedule ? { schedule: run.schedule } : {}),
  };
  const startedAt = run.attempts[0]?.startedAt ?? run.createdAt;
  if (last?.report) {
    const entry = entryFromReport(last.report, ctx);
    return {
      ...entry,
      status: run.state,
      startedAt,
      ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
    };
  }
  const errors =
    last?.errors ??
    (run.reason ? [{ code: 'RUN_' + run.state.toUpperCase(), message: run.reason, retryable: false }] : []);
  const entry = pendingEntry(
    { job: run.jobName, jobFile: run.jobFile, tenant: run.tenant, startedAt, status: run.state },
    ctx,
    errors,
  );
  return {
    ...entry,
    ...(last?.exitCode !== undefined ? { exitCode: last.exitCode } : {}),
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
  };
}
