/**
 * The s3 and minio targets: the generic Parquet file sink (commit protocol of architecture §6)
 * over an S3 bucket/prefix, with spec §6 object metadata and tags on every data file.
 *
 * Keys: `s3://<bucket>/<prefix>/<domain>/<dataProduct>/<asset>/[col=val/…]<table>-<run>-NNNNN.parquet`,
 * the protocol's own objects under `<prefix>/_dativo/`. Files are encoded to the temp dir,
 * uploaded to staging (multipart above the part size, metadata and tags attached), and published
 * by server-side copy, which carries the metadata and tags to the final key.
 */
import { randomUUID } from 'node:crypto';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { ResolvedJob } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import type { CheckResult } from '../../sources/source.js';
import { createFileSink, type FileCommitRequest, type FileSinkOptions } from '../file-sink.js';
import { dataFileStem } from '../layout.js';
import type { CommitResult, Sink } from '../sink.js';
import { createS3Store, type S3ObjectStore, type S3StoreOptions } from '../store/s3.js';
import { toS3Error } from '../store/s3-errors.js';
import { type S3Target, s3TargetOptions } from './connection.js';
import { objectAttributes } from './metadata.js';

export { type S3Target, s3TargetOptions } from './connection.js';
export { objectAttributes, partitionString } from './metadata.js';

/**
 * Attempts per S3 request (SDK standard retries: exponential backoff with full jitter, capped at
 * 20 s). 10 attempts ride out roughly 20 s of gateway outage before the run fails.
 */
export const S3_SINK_MAX_ATTEMPTS = 10;

export interface S3SinkSettings {
  runId: string;
  kvMetadata: Record<string, string>;
  /** Where `$S3_BUCKET` / `$AWS_REGION` fall-backs are read; default process.env. */
  env?: Record<string, string | undefined>;
  /** Store overrides (tests, bench): part size, attempts... */
  store?: Partial<S3StoreOptions>;
  /** File-sink overrides (tests, bench). */
  extras?: Partial<Omit<FileSinkOptions, 'store'>>;
}

export type S3Sink = Sink & {
  commit(req: FileCommitRequest): Promise<CommitResult>;
  /** The store under the sink (tests and tools; never logged: it holds the client). */
  readonly store: S3ObjectStore;
  readonly location: string;
};

export type S3SinkJob = Pick<ResolvedJob, 'target' | 'contract' | 'tenantId'> & {
  source?: Pick<ResolvedJob['source'], 'objects' | 'files'>;
  locate?: ResolvedJob['locate'];
};

/** The s3/minio target as the pipeline's Sink (same shape as createLocalSink). */
export function createS3Sink(job: S3SinkJob, settings: S3SinkSettings): S3Sink {
  const target: S3Target = s3TargetOptions(job, settings.env);
  const store = createS3Store({ maxAttempts: S3_SINK_MAX_ATTEMPTS, ...target.store, ...settings.store });
  const c = job.contract;
  const inner = createFileSink({
    store,
    kind: job.target.type,
    layout: { domain: c.domain, dataProduct: c.dataProduct, assetName: c.name, table: dataFileStem(job) },
    partitionBy: job.target.partitioning,
    compression: job.target.compression,
    rowGroupSize: job.target.rowGroupSize,
    targetFileSizeMb: job.target.parquetTargetSizeMb || 128,
    kvMetadata: settings.kvMetadata,
    objectAttributes: (file, closedAt) => objectAttributes({ job, kv: settings.kvMetadata }, file, closedAt),
    ...settings.extras,
  });

  return {
    kind: inner.kind,
    store,
    location: target.location,
    open: (ctx) => inner.open(ctx),
    write: (batch) => inner.write(batch),
    staged: () => inner.staged(),
    async commit(req) {
      const result = await inner.commit(req);
      store.close(); // the run is over: release the sockets
      return result;
    },
    async abort(reason) {
      try {
        await inner.abort(reason);
      } finally {
        store.close();
      }
    },
  };
}

/**
 * The bucket/prefix of an s3/minio target as a store, for sinks that stage and commit their own
 * files there (a writer plugin's outputs). The caller closes it when the run is over.
 */
export function openS3TargetStore(job: S3SinkJob, env?: Record<string, string | undefined>): S3ObjectStore {
  return createS3Store({ maxAttempts: S3_SINK_MAX_ATTEMPTS, ...s3TargetOptions(job, env).store });
}

/**
 * `dativo check` for s3/minio: the bucket exists and the credentials may list, write and delete
 * under the prefix. Writes (and removes) one tiny probe object under `<prefix>/_dativo/check/`,
 * never data. Fails fast (2 attempts per request).
 */
export async function checkS3Target(job: S3SinkJob): Promise<CheckResult> {
  let target: S3Target;
  try {
    target = s3TargetOptions(job);
  } catch (e) {
    return failed(e);
  }
  const store = createS3Store({ ...target.store, maxAttempts: 2 });
  try {
    try {
      await store.client.send(new HeadBucketCommand({ Bucket: store.bucket }));
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) {
        throw new DativoError(
          'CONFIG_INVALID',
          `bucket "${store.bucket}" does not exist (${target.store.endpoint ?? 'AWS S3'})`,
        );
      }
      throw toS3Error('HeadBucket', undefined, e, 'CONNECTION_FAILED', target.store);
    }
    await store.list('_dativo/commits/');
    const probe = `_dativo/check/${randomUUID()}`;
    await store.putBytes(probe, new TextEncoder().encode('dativo check\n'));
    await store.delete(probe);
    return { status: 'success', message: `${target.location} is writable` };
  } catch (e) {
    return failed(e);
  } finally {
    store.close();
  }
}

function failed(e: unknown): CheckResult {
  if (e instanceof DativoError) {
    return { status: 'failed', message: e.message, errorCode: e.code, retryable: e.retryable };
  }
  return { status: 'failed', message: e instanceof Error ? e.message : String(e), errorCode: 'INTERNAL' };
}

/** `s3://bucket/prefix` of an s3/minio target, for run reports (never credentials); undefined if unset. */
export function s3TargetLocation(job: S3SinkJob): string | undefined {
  try {
    return s3TargetOptions(job).location;
  } catch {
    return undefined;
  }
}
