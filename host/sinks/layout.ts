/**
 * Where things live in a target (spec §7 key layout, architecture §6 protocol keys), and how a
 * partition value becomes a folder name. Keys are relative to the target's base.
 */
import { type DataType, Type } from 'apache-arrow';

export { assertRunId, newRunId } from './run-id.js';

export interface TableLayout {
  domain?: string;
  dataProduct?: string;
  /** The contract's name. */
  assetName: string;
  /** File-name stem; defaults to the normalised asset name. */
  table?: string;
}

/** The UTC date of a run (`ingest_date`). */
export function ingestDateOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Spec §7: the asset folder is the name lower-cased with `-` and spaces turned into `_`. */
export function normalizeAssetName(name: string): string {
  return name.toLowerCase().replace(/[-\s]/g, '_');
}

export const keys = {
  stagingPrefix: (runId: string) => `_dativo/staging/${runId}/`,
  stagingRoot: '_dativo/staging/',
  stagingMarker: (runId: string) => `_dativo/staging/${runId}/_job.json`,
  stagingFile: (runId: string, id: string) => `_dativo/staging/${runId}/${id}.parquet.part`,
  stagingRejects: (runId: string) => `_dativo/staging/${runId}/_rejects.jsonl`,
  commitsPrefix: '_dativo/commits/',
  commitRecord: (runId: string) => `_dativo/commits/${runId}.json`,
  rejects: (runId: string) => `_rejects/${runId}.jsonl`,
  fieldIds: (assetName: string) => `_dativo/field-ids/${normalizeAssetName(assetName)}.json`,
};

/** `{domain|default}/{dataProduct|default}/{asset}` */
export function tableBaseKey(layout: TableLayout): string {
  const seg = (s: string | undefined): string => (s && s.trim() !== '' ? s.replace(/\//g, '_') : 'default');
  return `${seg(layout.domain)}/${seg(layout.dataProduct)}/${seg(normalizeAssetName(layout.assetName))}`;
}

/** `{base}/[col=val/…]{table}-{runId}-{NNNNN}.parquet`: unique per run, so reruns never overwrite. */
export function dataFileKey(
  layout: TableLayout,
  partition: [string, string][],
  runId: string,
  counter: number,
): string {
  const stem = layout.table ?? normalizeAssetName(layout.assetName);
  return `${tableBaseKey(layout)}/${partitionFolders(partition)}${dataFileName(stem, runId, counter)}`;
}

/** `col=val/…/` (empty when unpartitioned); values already formatted by the rules below. */
export function partitionFolders(partition: [string, string][]): string {
  return partition.map(([k, v]) => `${k}=${v}/`).join('');
}

/** `{table}-{runId}-{NNNNN}.parquet`: the data-file name of the s3, local and iceberg targets. */
export function dataFileName(table: string, runId: string, counter: number): string {
  return `${table.replace(/[/\\]/g, '_')}-${runId}-${String(counter).padStart(5, '0')}.parquet`;
}

/** The table part of data-file names: the source's object, else the contract's, else the asset name. */
export function dataFileStem(job: {
  source?: { objects: readonly string[]; files: readonly { object?: string }[] };
  contract: { object?: string; name: string };
}): string {
  return (
    job.source?.objects[0] ??
    job.source?.files[0]?.object ??
    job.contract.object ??
    normalizeAssetName(job.contract.name)
  );
}

/** The folder value for a null (or empty) partition value, as in the original. */
export const NULL_PARTITION = 'unknown';

/** Spec §7: lower-cased, characters outside `[a-z0-9_-]` turned into `_`. */
export function sanitizePartitionValue(s: string): string {
  const v = s.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  return v === '' ? NULL_PARTITION : v;
}

/**
 * Format a value read with `Vector.get` as a partition folder value: ISO `yyyy-mm-dd` for dates,
 * everything else through the original's sanitising rule; null → `unknown`.
 */
export function formatPartitionValue(value: unknown, type: DataType): string {
  if (value === null || value === undefined) return NULL_PARTITION;
  switch (type.typeId) {
    case Type.Date:
      return new Date(Number(value)).toISOString().slice(0, 10);
    case Type.Timestamp: {
      const ms = Number(value);
      const d = new Date(Math.floor(ms));
      return sanitizePartitionValue(d.toISOString().replace(/\.000Z$|Z$/, ''));
    }
    case Type.Decimal:
      return sanitizePartitionValue(
        formatDecimal(String(value), (type as unknown as { scale: number }).scale),
      );
    default:
      return sanitizePartitionValue(String(value));
  }
}

/** An unscaled decimal integer string with its scale, as a plain decimal string. */
export function formatDecimal(unscaled: string, scale: number): string {
  if (scale <= 0) return unscaled;
  const neg = unscaled.startsWith('-');
  const digits = (neg ? unscaled.slice(1) : unscaled).padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}
