/**
 * `source.streams` expanded into one resolved job per stream (its own contract, state file and
 * job name). Apart from run-streams.ts so `dativo validate` can check the streams without
 * loading the pipeline.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { resolvePath } from '../config/paths.js';
import type { ResolvedJob } from '../config/types.js';
import { loadContract } from '../contract/load.js';
import { DativoError, DativoErrors } from '../errors.js';

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
