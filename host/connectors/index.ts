/**
 * The connector registry: which adapter serves a job, and the calls the pipeline and the CLI make
 * through it. Nothing here loads an implementation until a Source or Sink is opened.
 */
import type { ResolvedJob } from '../config/types.js';
import { DativoError } from '../errors.js';
import type { IcebergTarget } from '../sinks/iceberg/target.js';
import type { Sink, SinkSettings } from '../sinks/sink.js';
import type { CheckResult, Source } from '../sources/source.js';
import type { SinkAdapter } from './adapter.js';
import { resolveSink, resolveSource } from './resolve.js';

export type { Adapter, Refusal, SinkAdapter, SinkContext, SourceAdapter, SourceContext } from './adapter.js';
export { REFUSALS, refusedPlugin } from './refusals.js';
export { resolveJob, resolveSink, resolveSource } from './resolve.js';
export { SINK_ADAPTERS } from './sinks.js';
export { SOURCE_ADAPTERS } from './sources.js';

export function openSource(job: ResolvedJob, batchSize: number): Promise<Source> {
  return resolveSource(job).open({ job, batchSize }, job.source);
}

export function openSink(job: ResolvedJob, settings: SinkSettings): Promise<Sink> {
  return resolveSink(job).open({ job, ...settings }, job.target);
}

/** Where a target writes, for reports (never includes credentials). */
export async function targetLocation(job: ResolvedJob): Promise<string | undefined> {
  let sink: SinkAdapter;
  try {
    sink = resolveSink(job);
  } catch {
    // A report of a job this build refuses still says where it pointed.
    const p = job.target.connection.path;
    return typeof p === 'string' ? p : undefined;
  }
  return sink.location(job);
}

/** `dativo check` for targets: can we write where the job points, without writing data? */
export function checkTarget(job: ResolvedJob): Promise<CheckResult> {
  return resolveSink(job).check(job);
}

/**
 * The table a job's target writes (catalog, table id, storage), for maintenance such as
 * `dativo iceberg expire`; a target that is not a table fails naming `target.type`.
 */
export async function openTargetTable(job: ResolvedJob): Promise<IcebergTarget> {
  const sink = resolveSink(job);
  if (!sink.openTable)
    throw new DativoError(
      'CONFIG_INVALID',
      `target.type is ${job.target.type}, not a table format (iceberg)`,
      {
        location: job.locate('target.type'),
      },
    );
  return sink.openTable(job);
}
