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
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { resolvePath } from '../config/paths.js';
import type { ResolvedJob } from '../config/types.js';
import { loadContract } from '../contract/load.js';
import { DativoError, DativoErrors } from '../errors.js';
import { countByCode, type RunReport, type RunStatus } from './report.js';
import { type RunOptions, runJob } from './run-job.js';

export interface StreamsReport extends RunReport {
  /** Per stream, its own run report (absent for a single-stream job). */
  streams?: Record<string, RunReport>;
}

/** The `source.streams` map of a job, or undefined (absent, or the original's list form). */
export function streamMap(job: ResolvedJob): Record<string, string> | undefined {
  const s = job.source.config.streams;
  if (!s || typeof s !== 'object' || Array.isArray(s)) return undefined;
  return s as Record<string, string>;
}

/** `<dir>/<type>.<stream>.state.json`, or the job's explicit state_path with `.<stream>` before its extension. */
function streamStatePath(job: ResolvedJob, stream: string): string {
  const inc = job.source.config.incremental as { state_path?: unknown } | undefined;
  const safe = stream.replace(/[^A-Za-z0-9_.-]/g, '_');
  if (typeof inc?.state_path === 'string') {
    const ext = path.extname(job.statePath);
    return `${job.statePath.slice(0, job.statePath.length - ext.length)}.${safe}${ext}`;
  }
  return path.join(path.dirname(job.statePath), `${job.source.type}.${safe}.state.json`);
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() === true;
}

/**
 * One resolved job per stream of `source.streams`, in the map's order; undefined when the job has
 * no map. Every problem (a missing or invalid contract, objects given as well) is reported at once,
 * each at its file:line:column.
 */
export async function expandStreams(
  job: ResolvedJob,
  cwd: string = process.cwd(),
): Promise<ResolvedJob[] | undefined> {
  const map = streamMap(job);
  if (!map) return undefined;
  const errors: DativoError[] = [];
  if (job.source.objects.length > 0) {
    errors.push(
      new DativoError(
        'CONFIG_INVALID',
        'source.objects and source.streams both name streams; keep one (streams maps each stream to its contract)',
        { location: job.locate('source.objects') },
      ),
    );
  }
  const names = Object.keys(map);
  if (names.length === 0) {
    errors.push(
      new DativoError('CONFIG_INVALID', 'source.streams is empty; map at least one stream to its contract', {
        location: job.locate('source.streams'),
      }),
    );
  }
  const base = { cwd, jobDir: path.dirname(job.file) };
  const jobs: ResolvedJob[] = [];
  for (const stream of names) {
    const keyPath = `source.streams.${stream}`;
    const location = job.locate(keyPath);
    const file = resolvePath(String(map[stream]), base);
    if (!(await isFile(file))) {
      errors.push(
        new DativoError(
          'CONFIG_NOT_FOUND',
          `the contract of stream "${stream}" does not exist: ${map[stream]} (looked in ${base.cwd} and ${base.jobDir})`,
          { location },
        ),
      );
      continue;
    }
    try {
      const contract = await loadContract(file, location);
      jobs.push(forStream(job, stream, contract));
    } catch (err) {
      if (err instanceof DativoErrors) errors.push(...err.errors);
      else if (err instanceof DativoError) errors.push(err);
      else throw err;
    }
  }
  if (errors.length === 1 && errors[0]) throw errors[0];
  if (errors.length > 1) throw new DativoErrors(errors);
  return jobs;
}

function forStream(job: ResolvedJob, stream: string, contract: ResolvedJob['contract']): ResolvedJob {
  const statePath = streamStatePath(job, stream);
  const { streams: _map, ...config } = job.source.config;
  return {
    ...job,
    // Commit records and recovery are scoped by job name: each stream keeps its own history.
    name: `${job.name}.${stream}`,
    contract,
    statePath,
    source: {
      ...job.source,
      config: { ...config, objects: [stream] },
      objects: [stream],
      ...(job.source.incremental ? { incremental: { ...job.source.incremental, statePath } } : {}),
    },
  };
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
