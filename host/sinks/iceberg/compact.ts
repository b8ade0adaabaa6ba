/**
 * `dativo iceberg compact`: hourly appends leave many small files per partition. This rewrites the
 * small data files of each partition into files of about the target size and commits them as one
 * `replace` snapshot (rows unchanged; see iceberg/rewrite.ts). The new files follow the same
 * layout, object metadata and tags as a run's files.
 *
 * A file is read whole (parquet-wasm) and written through the run's data-file writer, one input
 * at a time, so memory holds one small file, not a partition. Files whose columns the current
 * schema no longer has (a dropped column) or that hold nested columns are left as they are.
 */
import { type RecordBatch, tableFromIPC } from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import type { Compression } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import { isPrimitive } from '../../iceberg/field-ids.js';
import type { FileIO } from '../../iceberg/io.js';
import type { DataFile } from '../../iceberg/manifest.js';
import { currentSchema, currentSnapshot, defaultSpec, type TableMetadata } from '../../iceberg/metadata.js';
import { type LiveDataFile, liveFiles, replaceDataFiles } from '../../iceberg/rewrite.js';
import { partitionTypes } from '../../iceberg/schema.js';
import type { NestedField } from '../../iceberg/schema-types.js';
import { humanPartitionValue } from '../../iceberg/transforms.js';
import type { IcebergValue } from '../../iceberg/values.js';
import { FIELD_ID_KEY } from '../parquet/arrow.js';
import { newRunId } from '../run-id.js';
import type { StagedFile } from '../sink.js';
import type { PutFileOptions } from '../store/object-store.js';
import { createDataFileWriter, type DataFileWriter } from './data-files.js';
import type { IcebergTarget } from './target.js';

export interface CompactOptions {
  target: IcebergTarget;
  /** Output files aim at this size; inputs below `smallFileBytes` are rewritten. */
  targetFileBytes: number;
  smallFileBytes: number;
  /** Partitions with fewer small files than this are left alone (≥ 2). */
  minInputFiles: number;
  /** Only the partition shown as `name=value/…` (Iceberg's partition path), if given. */
  partition?: string;
  compression: Compression;
  rowGroupSize: number;
  kvMetadata: Record<string, string>;
  layout: { stem: string; folders?: [string, string][] };
  objectAttributes?: (file: StagedFile, closedAt: Date) => PutFileOptions;
}

export interface CompactResult {
  table: string;
  /** The replace snapshot, or undefined when nothing qualified. */
  snapshotId?: bigint;
  partitions: number;
  rewrittenFiles: number;
  addedFiles: number;
  rows: number;
  skippedFiles: number;
}

export async function compactTable(o: CompactOptions): Promise<CompactResult> {
  const name = [...o.target.ident.namespace, o.target.ident.name].join('.');
  const table = await o.target.catalog.loadTable(o.target.ident);
  if (!table) throw new DativoError('CONFIG_INVALID', `Iceberg table ${name} does not exist`);
  const md = table.metadata;
  const { io, store, tableKey } = o.target.ioFor(md.location);
  const files = await liveFiles(io, currentSnapshot(md));
  if (files.deleteFiles > 0) {
    throw new DativoError(
      'NOT_IMPLEMENTED',
      `${name} has ${files.deleteFiles} delete file(s) (merge-on-read); compacting such a table is not supported, nothing was rewritten`,
    );
  }
  const groups = plan(md, files.data, o);
  const empty: CompactResult = {
    table: name,
    partitions: 0,
    rewrittenFiles: 0,
    addedFiles: 0,
    rows: 0,
    skippedFiles: 0,
  };
  if (groups.length === 0) return empty;

  const schema = currentSchema(md);
  const spec = defaultSpec(md);
  const runId = newRunId();
  let fileNumber = 0; // one sequence for every writer: their files may share a folder
  const nextFileNumber = () => fileNumber++;
  const writers: DataFileWriter[] = [];
  const replaced: string[] = [];
  const added: DataFile[] = [];
  let skipped = 0;
  try {
    for (const group of groups) {
      const bySignature = new Map<string, DataFileWriter>();
      for (const f of group) {
        const batches = await readBatches(io, f.path);
        const columns = columnsOf(batches[0], schema.fields);
        if (!columns) {
          skipped++;
          continue;
        }
        const signature = JSON.stringify([...columns]);
        let w = bySignature.get(signature);
        if (!w) {
          w = createDataFileWriter({
            store,
            tableKey,
            tableLocation: md.location,
            runId,
            schema,
            columns,
            spec,
            compression: o.compression,
            rowGroupSize: o.rowGroupSize,
            targetFileBytes: o.targetFileBytes,
            kvMetadata: o.kvMetadata,
            layout: o.layout,
            nextFileNumber,
            ...(o.objectAttributes ? { objectAttributes: o.objectAttributes } : {}),
          });
          bySignature.set(signature, w);
          writers.push(w);
        }
        for (const b of batches) await w.write(b);
        replaced.push(f.path);
      }
      for (const w of bySignature.values()) added.push(...(await w.finish()).dataFiles);
    }
    if (replaced.length === 0) return { ...empty, skippedFiles: skipped };
    const committed = await replaceDataFiles({
      catalog: o.target.catalog,
      ident: o.target.ident,
      io,
      replaced,
      added,
      partitionTypes: partitionTypes(spec, schema),
      summary: { 'dativo.compaction-id': runId },
    });
    return {
      table: name,
      snapshotId: committed.snapshot['snapshot-id'],
      partitions: groups.length,
      rewrittenFiles: replaced.length,
      addedFiles: added.length,
      rows: added.reduce((n, f) => n + f.recordCount, 0),
      skippedFiles: skipped,
    };
  } catch (e) {
    for (const w of writers) await w.abort().catch(() => {});
    throw e;
  }
}

/** Small files of the default spec grouped by partition; groups with too few files dropped. */
function plan(md: TableMetadata, live: LiveDataFile[], o: CompactOptions): LiveDataFile[][] {
  const spec = defaultSpec(md);
  const ptypes = partitionTypes(spec, currentSchema(md));
  const groups = new Map<string, LiveDataFile[]>();
  for (const f of live) {
    if (f.manifest.partition_spec_id !== spec['spec-id']) continue;
    if (String(f.dataFile.file_format).toUpperCase() !== 'PARQUET') continue;
    if (f.fileSizeInBytes >= o.smallFileBytes) continue;
    const part = (f.dataFile.partition ?? {}) as Record<string, unknown>;
    const shown = ptypes
      .map((p, i) => {
        const v = Object.values(part)[i] ?? null;
        return `${p.name}=${humanPartitionValue(p.transform, p.type, internal(v))}`;
      })
      .join('/');
    if (o.partition !== undefined && shown !== o.partition) continue;
    const g = groups.get(shown) ?? [];
    g.push(f);
    groups.set(shown, g);
  }
  return [...groups.values()].filter((g) => g.length >= Math.max(2, o.minInputFiles));
}

/** A decoded Avro partition value in the transforms' internal form (shown, never written back). */
function internal(v: unknown): IcebergValue | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return new Uint8Array(v);
  return v as IcebergValue;
}

async function readBatches(io: FileIO, path: string): Promise<RecordBatch[]> {
  const bytes = await io.read(path);
  if (!bytes) throw new DativoError('COMMIT_FAILED', `data file ${path} is missing; nothing was rewritten`);
  return tableFromIPC(pw.readParquet(bytes).intoIPCStream()).batches;
}

/** name → {id, type} for a file's columns, by their Parquet field ids; undefined if one is unusable. */
function columnsOf(
  batch: RecordBatch | undefined,
  fields: NestedField[],
): Map<string, { id: number; type: string }> | undefined {
  if (!batch) return undefined;
  const out = new Map<string, { id: number; type: string }>();
  for (const f of batch.schema.fields) {
    const id = Number(f.metadata.get(FIELD_ID_KEY));
    const field = fields.find((x) => x.id === id);
    if (!field || !isPrimitive(field.type) || field.name !== f.name) return undefined;
    out.set(f.name, { id, type: field.type as string });
  }
  return out;
}
