/**
 * The Iceberg side of change data capture: a table created (unpartitioned) from the source's
 * columns, with `identifier-field-ids` when the source has a primary key, and one snapshot per
 * change batch holding data files (the rows that exist after the batch) and equality delete files
 * (every key the batch touched), plus the replication position in the summary
 * (`dativo.cdc.position`), so the position and the data land atomically.
 */
import type { RecordBatch, Schema } from 'apache-arrow';
import { DativoError } from '../../errors.js';
import { appendFiles, JOB_KEY, TENANT_KEY } from '../../iceberg/append.js';
import { CommitConflictError, type LoadedTable } from '../../iceberg/catalog.js';
import type { DataFile } from '../../iceberg/manifest.js';
import { ancestors, currentSchema, currentSnapshot, defaultSpec } from '../../iceberg/metadata.js';
import { initialSchema, partitionTypes, type WriteSchema, writeSchemaFor } from '../../iceberg/schema.js';
import type { Logger } from '../../observability/logger.js';
import { createDataFileWriter, type DataFileWriter } from './data-files.js';
import { dropIfNotCommitted, propertiesFromKv } from './index.js';
import type { IcebergTarget, IcebergTargetJob } from './target.js';

export const CDC_POSITION_KEY = 'dativo.cdc.position';

export interface CdcTable {
  target: IcebergTarget;
  table: LoadedTable;
  write: WriteSchema;
  name: string;
}

/**
 * Loads the table or creates it. `identifier`: the primary key columns (required fields), or
 * undefined for a REPLICA IDENTITY FULL table without one (identifier fields must be required, so
 * those tables get equality deletes over all columns but no identifier fields).
 */
export async function openCdcTable(
  target: IcebergTarget,
  schema: Schema,
  identifier: string[] | undefined,
  kv: Record<string, string>,
): Promise<CdcTable> {
  const name = [...target.ident.namespace, target.ident.name].join('.');
  let table = await target.catalog.loadTable(target.ident);
  if (!table) {
    const s = initialSchema(schema);
    if (identifier) {
      s['identifier-field-ids'] = identifier.map((c) => s.fields.find((f) => f.name === c)?.id as number);
    }
    try {
      table = await target.catalog.createTable(target.ident, {
        name: target.ident.name,
        schema: s,
        properties: { 'write.format.default': 'parquet', 'format-version': '2', ...propertiesFromKv(kv) },
      });
    } catch (e) {
      if (!(e instanceof CommitConflictError)) throw e;
      table = await target.catalog.loadTable(target.ident);
      if (!table) throw e;
    }
  }
  const md = table.metadata;
  const write = writeSchemaFor(schema, currentSchema(md), md['last-column-id'], name);
  if (write.evolves) {
    throw new DativoError(
      'NOT_IMPLEMENTED',
      `the source table's columns differ from Iceberg table ${name} (${[...write.added, ...write.relaxed].join(', ')}); schema changes are not captured yet: recreate the target table`,
    );
  }
  return { target, table, write, name };
}

/** The position of the newest CDC snapshot on main, if any. */
export function cdcPositionOf(t: CdcTable): string | undefined {
  const md = t.table.metadata;
  return ancestors(md, currentSnapshot(md)?.['snapshot-id']).find((s) => s.summary[CDC_POSITION_KEY])
    ?.summary[CDC_POSITION_KEY];
}

export interface CdcBatch {
  /** Rows existing after the batch (one per key). */
  rows: AsyncIterable<RecordBatch> | Iterable<RecordBatch>;
  /** Key columns of every key the batch touched (columns: the equality key). */
  deletes: RecordBatch | undefined;
  /** Delete every earlier row (a TRUNCATE in the batch). */
  truncate: boolean;
  position: string;
  runId: string;
  job: string;
  tenant: string;
}

function writer(
  t: CdcTable,
  job: IcebergTargetJob,
  runId: string,
  stem: string,
  keep?: string[],
): DataFileWriter {
  const md = t.table.metadata;
  const { store, tableKey } = t.target.ioFor(md.location);
  const columns = keep ? new Map([...t.write.columns].filter(([n]) => keep.includes(n))) : t.write.columns;
  return createDataFileWriter({
    store,
    tableKey,
    tableLocation: md.location,
    runId,
    schema: t.write.schema,
    columns,
    spec: defaultSpec(md),
    compression: job.target.compression,
    rowGroupSize: job.target.rowGroupSize,
    targetFileBytes: Math.max(1, (job.target.parquetTargetSizeMb || 128) * 1024 * 1024),
    kvMetadata: {},
    layout: { stem },
  });
}

/** Writes and commits one batch; on failure the files not committed are dropped. Returns the new table. */
export async function commitCdcBatch(
  t: CdcTable,
  job: IcebergTargetJob,
  b: CdcBatch,
  log?: Logger,
): Promise<LoadedTable> {
  const keyCols = b.deletes?.schema.fields.map((f) => f.name) ?? [];
  const data = writer(t, job, b.runId, t.target.ident.name);
  const dels = writer(t, job, b.runId, `${t.target.ident.name}-eqdelete`, keyCols);
  const dropAll = async () => {
    await data.abort();
    await dels.abort();
  };
  try {
    for await (const r of b.rows) if (r.numRows > 0) await data.write(r);
    if (b.deletes && b.deletes.numRows > 0 && !b.truncate) await dels.write(b.deletes);
    const files = (await data.finish()).dataFiles;
    const equalityIds = keyCols.map((c) => t.write.columns.get(c)?.id as number);
    const deleteFiles: DataFile[] = (await dels.finish()).dataFiles.map((f) => ({
      ...f,
      content: 2,
      equalityIds,
    }));
    const md = t.table.metadata;
    const spec = defaultSpec(md);
    const result = await appendFiles({
      catalog: t.target.catalog,
      ident: t.target.ident,
      io: t.target.ioFor(md.location).io,
      files,
      deleteFiles,
      replaceAll: b.truncate,
      schema: t.write.schema,
      spec,
      partitionTypes: partitionTypes(spec, t.write.schema),
      runId: b.runId,
      summary: { [CDC_POSITION_KEY]: b.position, [JOB_KEY]: b.job, [TENANT_KEY]: b.tenant },
    });
    t.table = result.table;
    return result.table;
  } catch (e) {
    await dropIfNotCommitted(t.target, b.runId, dropAll, log);
    throw e instanceof DativoError
      ? e
      : new DativoError(
          'COMMIT_FAILED',
          `committing changes to Iceberg table ${t.name} failed: ${(e as Error).message}`,
          {
            cause: e,
            retryable: e instanceof CommitConflictError,
          },
        );
  }
}
