/**
 * The local target: Parquet files under a directory (`target.connection.path`), committed with
 * the same protocol an object store uses.
 */
import * as path from 'node:path';
import type { ResolvedJob } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import { createFileSink, type FileSinkOptions } from '../file-sink.js';
import { createLocalStore } from '../store/local.js';

export type LocalSinkJob = Pick<ResolvedJob, 'target' | 'contract'> & {
  source?: Pick<ResolvedJob['source'], 'objects' | 'files'>;
  /** Where a relative `connection.path` resolves from (the job file's folder); default the cwd. */
  baseDir?: string;
};

export type LocalSinkExtras = Partial<Omit<FileSinkOptions, 'store'>>;

/** The directory a local target writes to. */
export function localTargetRoot(job: LocalSinkJob): string {
  const p = job.target.connection.path;
  if (typeof p !== 'string' || p.trim() === '') {
    throw new DativoError(
      'CONFIG_INVALID',
      'a local target needs target.connection.path (the output directory)',
      {
        location: { keyPath: 'target.connection.path' },
      },
    );
  }
  return path.resolve(job.baseDir ?? process.cwd(), p);
}

export function createLocalSink(job: LocalSinkJob, extras: LocalSinkExtras = {}) {
  const store = createLocalStore(localTargetRoot(job));
  const c = job.contract;
  const table = job.source?.objects[0] ?? job.source?.files[0]?.object ?? c.object;
  return createFileSink({
    store,
    kind: 'local',
    layout: { domain: c.domain, dataProduct: c.dataProduct, assetName: c.name, ...(table ? { table } : {}) },
    partitionBy: job.target.partitioning,
    compression: job.target.compression,
    rowGroupSize: job.target.rowGroupSize,
    targetFileSizeMb: job.target.parquetTargetSizeMb || 128,
    ...extras,
  });
}
