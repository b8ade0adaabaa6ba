/**
 * The S3 target's layout rules applied inside an Iceberg table's `data/` folder (docs/iceberg.md,
 * "Where the files go"): the same file names (`<table>-<run>-NNNNN.parquet`) and, when the job
 * partitions by the run's `ingest_date` but the data has no such column (so it is no Iceberg
 * partition), the same `ingest_date=YYYY-MM-DD/` folder in front of the partition folders.
 */
import type { ResolvedJob } from '../../config/types.js';
import type { IcebergSchema } from '../../iceberg/schema-types.js';
import { dataFileStem, ingestDateOf } from '../layout.js';

export type IcebergLayoutJob = Pick<ResolvedJob, 'target' | 'contract'> & {
  source?: Pick<ResolvedJob['source'], 'objects' | 'files'>;
};

export function icebergDataLayout(
  job: IcebergLayoutJob,
  schema: IcebergSchema,
  now: Date,
): { stem: string; folders: [string, string][] } {
  const byRunDate =
    job.target.partitioning.some((p) => p.trim() === 'ingest_date') &&
    !schema.fields.some((f) => f.name === 'ingest_date');
  return { stem: dataFileStem(job), folders: byRunDate ? [['ingest_date', ingestDateOf(now)]] : [] };
}
