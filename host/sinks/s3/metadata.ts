/**
 * Spec §6: S3 user metadata and tags on every data object. The values come from the run's tags
 * (`dativo.*` key-value metadata, already derived with the job's overrides) and the contract, so
 * object metadata, Parquet footers and table properties never disagree.
 *
 * S3 constraints: metadata travels in HTTP headers, so values are ASCII (anything else is
 * percent-encoded); at most 10 tags, keys ≤ 128 and values ≤ 256 characters from a small set.
 */
import type { Compression, ResolvedJob } from '../../config/types.js';
import type { StagedFile } from '../sink.js';
import type { PutFileOptions } from '../store/object-store.js';

export interface ObjectTagInput {
  job: Pick<ResolvedJob, 'tenantId' | 'contract'> & {
    target: Pick<ResolvedJob['target'], 'fileFormat' | 'compression'>;
  };
  /** The run's `dativo.*` tags (run-job's `tagsToKeyValue`). */
  kv: Record<string, string>;
}

const MAX_TAGS = 10;

/** `ingest_date=2026-11-25/region=eu`, or empty when unpartitioned. */
export function partitionString(p: Record<string, string>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join('/');
}

/** Printable ASCII stays; everything else is percent-encoded so the header is valid. */
function asciiValue(v: string): string {
  return /^[\x20-\x7e]*$/.test(v) ? v : encodeURIComponent(v);
}

/** S3 tag charset: letters, digits, whitespace and `+ - = . _ : / @`. */
function tagValue(v: string, max: number): string {
  return v.replace(/[^\p{L}\p{N}\s+\-=._:/@]/gu, '_').slice(0, max);
}

function compressionName(c: Compression): string {
  return c === 'none' ? 'uncompressed' : c;
}

export function objectAttributes(input: ObjectTagInput, file: StagedFile, closedAt: Date): PutFileOptions {
  const { job, kv } = input;
  const c = job.contract;
  const partition = partitionString(file.partition);
  const owner = kv['dativo.governance.owner'];
  const domain = kv['dativo.asset.domain'] ?? c.domain;
  const dataProduct = kv['dativo.asset.data_product'] ?? c.dataProduct;

  const meta: Record<string, string | undefined> = {
    'asset-name': kv['dativo.asset.name'] ?? c.name,
    'asset-version': kv['dativo.contract.version'] ?? c.version,
    'asset-domain': domain,
    'data-product': dataProduct,
    'tenant-id': job.tenantId,
    owner,
    'retention-days': kv['dativo.governance.retention_days'],
    classification: kv['dativo.classification.default'],
    'record-count': String(file.rows),
    'file-size-bytes': String(file.bytes),
    partition: partition || undefined,
    'ingest-timestamp': closedAt.toISOString(),
    'file-format': job.target.fileFormat,
    compression: compressionName(job.target.compression),
  };
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) if (v !== undefined && v !== '') metadata[k] = asciiValue(v);

  const tagList: Array<[string, string | undefined]> = [
    ['domain', domain],
    ['data-product', dataProduct],
    ['tenant', job.tenantId],
    ['owner', owner],
    ['asset-tag', c.tags[0]],
    ['partition', partition || undefined],
  ];
  const tags: Record<string, string> = {};
  for (const [k, v] of tagList) {
    if (v === undefined || v === '' || Object.keys(tags).length >= MAX_TAGS) continue;
    tags[k] = tagValue(v, 256);
  }
  return { metadata, tags };
}
