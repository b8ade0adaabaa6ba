/**
 * Several streams in one run: `source.streams: {stream: asset_path}`. The job is expanded into one
 * resolved job per stream (its own contract, so its own target folder under the contract's
 * domain/data product/name; its own state file, lock and commit records) and each runs through
 * `runJob` unchanged, so the commit protocol stays one commit per stream: a failing stream never
 * rolls back or blocks the state of another. One report comes back, summed, with a section per
 * stream; its exit code is the worst of them.
 *
 * A job without the map runs as before (one `runJob`).
 */
import type { ResolvedJob } from '../config/types.js';
import { expandStreams } from './expand-streams.js';
import { countByCode, type RunReport, type RunStatus } from './report.js';
import { type RunOptions, runJob } from './run-job.js';

export interface StreamsReport extends RunReport {
  /** Per stream, its own run report (absent for a single-stream job). */
  streams?: Record<string, RunReport>;
}

const RANK: Record<RunStatus, number> = {
  succeeded: 0,
  nothing_new: 0,
  succeeded_with_warnings: 1,
  failed: 2,
  interrupted: 3,
};

/** The job's run: one `runJob`, or one per stream of `source.streams` with one summed report. */
export async function runStreams(job: ResolvedJob, opts: RunOptions): Promise<StreamsReport> {
  const jobs = await expandStreams(job);
  if (!jobs) return runJob(job, opts);
  const reports: Record<string, RunReport> = {};
  for (const j of jobs) {
    // An interrupted run starts no further stream; the ones already committed stay committed.
    if (opts.signal.aborted) break;
    const stream = j.source.objects[0] as string;
    reports[stream] = await runJob(j, opts);
  }
  return aggregate(job, reports, jobs.length);
}

function aggregate(job: ResolvedJob, reports: Record<string, RunReport>, planned: number): StreamsReport {
  const list = Object.entries(reports);
  const first = list[0]?.[1];
  const statuses = list.map(([, r]) => r.status);
  let status: RunStatus = statuses.every((s) => s === 'nothing_new') ? 'nothing_new' : 'succeeded';
  for (const s of statuses) if (RANK[s] > RANK[status]) status = s;
  if (list.length < planned && status !== 'interrupted') status = 'interrupted';
  const errors = list.flatMap(([stream, r]) =>
    r.errors.map((e) => ({ ...e, message: `stream ${stream}: ${e.message}` })),
  );
  if (list.length < planned && !errors.some((e) => e.code === 'INTERRUPTED')) {
    errors.push({
      code: 'INTERRUPTED',
      message: `interrupted before ${planned - list.length} stream(s) started`,
      retryable: true,
    });
  }
  const sum = <K extends 'rows' | 'bytes'>(k: K, f: keyof RunReport[K]): number =>
    list.reduce((n, [, r]) => n + (r[k][f] as number), 0);
  const starts = list.map(([, r]) => r.startedAt).sort();
  const ends = list.map(([, r]) => r.finishedAt).sort();
  const startedAt = starts[0] ?? new Date().toISOString();
  const finishedAt = ends[ends.length - 1] ?? startedAt;
  const report: StreamsReport = {
    runId: list.map(([, r]) => r.runId).join(','),
    job: job.name,
    jobFile: job.file,
    tenant: job.tenantId,
    status,
    exitCode:
      status === 'succeeded' || status === 'nothing_new' ? 0 : status === 'succeeded_with_warnings' ? 1 : 2,
    startedAt,
    finishedAt,
    durationsMs: {
      total: Date.parse(finishedAt) - Date.parse(startedAt),
      extract: list.reduce((n, [, r]) => n + r.durationsMs.extract, 0),
      commit: list.reduce((n, [, r]) => n + r.durationsMs.commit, 0),
    },
    source: first?.source ?? { type: job.source.type, engine: job.source.engine, files: [] },
    target: first?.target ?? { type: job.target.type },
    rows: { read: sum('rows', 'read'), written: sum('rows', 'written'), invalid: sum('rows', 'invalid') },
    bytes: { read: sum('bytes', 'read'), written: sum('bytes', 'written') },
    files: list.flatMap(([, r]) => r.files),
    state: Object.fromEntries(list.map(([stream, r]) => [stream, r.state ?? {}])),
    errors,
    errorsByCode: countByCode(errors),
    streams: reports,
  };
  const peak = Math.max(0, ...list.map(([, r]) => r.resources?.peakRssMb ?? 0));
  if (peak > 0) {
    report.resources = {
      peakRssMb: peak,
      cpuUserMs: Math.max(0, ...list.map(([, r]) => r.resources?.cpuUserMs ?? 0)),
      cpuSystemMs: Math.max(0, ...list.map(([, r]) => r.resources?.cpuSystemMs ?? 0)),
    };
  }
  return report;
}
