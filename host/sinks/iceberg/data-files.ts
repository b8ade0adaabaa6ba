/**
 * Data files of one run: Parquet (with Iceberg field ids) under `<table>/data/[partition/]`, one
 * open file per partition, column statistics gathered as batches pass. A file becomes an object
 * only once complete (local: written as `.part` and renamed; S3: an upload finishes atomically),
 * and nothing references it until the snapshot commits, so an aborted run leaves the table as it
 * was; abort() deletes the run's files.
 */
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RecordBatch, Schema } from 'apache-arrow';
import type { Compression } from '../../config/types.js';
import { columnSizesOf } from '../../iceberg/footer.js';
import type { DataFile } from '../../iceberg/manifest.js';
import type { IcebergSchema, PartitionSpec } from '../../iceberg/metadata.js';
import { partitionTypes } from '../../iceberg/schema.js';
import { createStatsCollector, type StatsCollector } from '../../iceberg/stats.js';
import { applyTransform, humanPartitionValue } from '../../iceberg/transforms.js';
import { columnReader, type IcebergValue } from '../../iceberg/values.js';
import { dataFileName, NULL_PARTITION, partitionFolders, sanitizePartitionValue } from '../layout.js';
import { batchToIpc, rebatch, takeRows, withFieldIds } from '../parquet/arrow.js';
import { createParquetEncoder, type ParquetEncoder, type ParquetFileWriter } from '../parquet/encoder.js';
import type { StagedFile } from '../sink.js';
import type { ObjectStore, PutFileOptions } from '../store/object-store.js';
import { withTableTimestamps } from './timestamps.js';

export interface DataFileWriterOptions {
  store: ObjectStore;
  /** Store key of the table folder, and its location URI (what manifests point at). */
  tableKey: string;
  tableLocation: string;
  runId: string;
  schema: IcebergSchema;
  columns: Map<string, { id: number; type: string }>;
  spec: PartitionSpec;
  compression: Compression;
  rowGroupSize: number;
  targetFileBytes: number;
  kvMetadata: Record<string, string>;
  tempDir?: string;
  encoder?: ParquetEncoder;
  /**
   * The S3 target's layout rules, under `<table>/data/`: folders that are not Iceberg partitions
   * come first (the run's `ingest_date`), then one `name=value` folder per partition field with
   * the value formatted as the S3 target formats it; files are named `<stem>-<run>-NNNNN.parquet`.
   */
  layout: { stem: string; folders?: [string, string][] };
  /** The NNNNN of the next file; writers sharing a run id share one (default: this writer's own count). */
  nextFileNumber?: () => number;
  /** S3 user metadata and tags of each data file (the S3 target's, spec §6). */
  objectAttributes?: (file: StagedFile, closedAt: Date) => PutFileOptions;
}

interface OpenFile {
  writer: ParquetFileWriter;
  key: string;
  localPath: string;
  partition: Record<string, IcebergValue | null>;
  /** The partition tuple as a map key (exact values; folder names may coincide after formatting). */
  group: string;
  stats: StatsCollector;
}

export interface DataFileWriter {
  write(batch: RecordBatch): Promise<void>;
  /** Close every file; the files as manifest entries and as staged files (for reports). */
  finish(): Promise<{ dataFiles: DataFile[]; staged: StagedFile[] }>;
  /** Stop encoding and delete every file this run wrote. */
  abort(): Promise<void>;
  staged(): StagedFile[];
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createDataFileWriter(opts: DataFileWriterOptions): DataFileWriter {
  const { store } = opts;
  const ptypes = partitionTypes(opts.spec, opts.schema);
  const ids = new Map([...opts.columns].map(([n, c]) => [n, c.id]));
  const ownEncoder = !opts.encoder;
  const encoder = opts.encoder ?? createParquetEncoder();
  const open = new Map<string, OpenFile>();
  const closing: Promise<void>[] = [];
  const done: { data: DataFile; staged: StagedFile }[] = [];
  const written = new Set<string>(); // keys to delete on abort
  const temps = new Set<string>();
  /** The run's folder in the temp dir (object stores), removed when the files are done or dropped. */
  let runTempDir: string | undefined;
  let counter = 0;
  let arrowSchema: Schema | undefined;

  const startFile = async (
    group: string,
    folders: string,
    partition: Record<string, IcebergValue | null>,
  ): Promise<OpenFile> => {
    const name = dataFileName(opts.layout.stem, opts.runId, opts.nextFileNumber?.() ?? counter++);
    const key = `${opts.tableKey}/data/${partitionFolders(opts.layout.folders ?? [])}${folders}${name}`;
    let localPath: string;
    if (store.localPath) localPath = `${await store.localPath(key)}.part`;
    else {
      const dir = path.join(opts.tempDir ?? os.tmpdir(), `dativo-iceberg-${opts.runId}`);
      await fsp.mkdir(dir, { recursive: true });
      runTempDir = dir;
      localPath = path.join(dir, name);
    }
    temps.add(localPath);
    const writer = encoder.open(localPath, {
      compression: opts.compression,
      rowGroupSize: opts.rowGroupSize,
      kvMetadata: { ...opts.kvMetadata, 'dativo.run_id': opts.runId },
    });
    const f: OpenFile = {
      writer,
      key,
      localPath,
      partition,
      group,
      stats: createStatsCollector(opts.columns),
    };
    open.set(group, f);
    return f;
  };

  const finishFile = async (f: OpenFile): Promise<void> => {
    const closed = await f.writer.close();
    written.add(f.key);
    const columnSizes = await columnSizesOf(f.localPath);
    const staged: StagedFile = {
      key: f.key,
      stagingKey: f.key,
      rows: closed.rows,
      bytes: closed.bytes,
      partition: stringPartition(f.partition),
    };
    if (store.localPath) {
      // Same folder: a rename, so the final name only ever names a complete file.
      await fsp.rename(f.localPath, await store.localPath(f.key));
    } else {
      await store.putFile(f.key, f.localPath, opts.objectAttributes?.(staged, new Date()));
      await fsp.rm(f.localPath, { force: true });
    }
    temps.delete(f.localPath);
    const stats = f.stats.result();
    done.push({
      data: {
        filePath: `${opts.tableLocation}/${f.key.slice(opts.tableKey.length + 1)}`,
        fileSizeInBytes: closed.bytes,
        recordCount: closed.rows,
        partition: f.partition,
        columnSizes,
        ...stats,
      },
      staged,
    });
  };

  const roll = (f: OpenFile): void => {
    open.delete(f.group);
    const p = finishFile(f);
    p.catch(() => {}); // observed in finish()
    closing.push(p);
  };

  /** Rows grouped by their partition tuple (one group, unsplit, for an unpartitioned table). */
  const split = (batch: RecordBatch) => {
    if (ptypes.length === 0) return [{ group: '', folders: '', values: {}, batch }];
    const readers = ptypes.map((p) => {
      const idx = batch.schema.fields.findIndex((f) => f.name === p.source.name);
      const data = batch.data.children[idx];
      if (!data) throw new Error(`partition source column ${p.source.name} is missing from the data`);
      return columnReader(data);
    });
    type Group = { values: Record<string, IcebergValue | null>; folders: string; rows: number[] };
    const groups = new Map<string, Group>();
    for (let r = 0; r < batch.numRows; r++) {
      const values: Record<string, IcebergValue | null> = {};
      const exact: string[] = [];
      ptypes.forEach((p, i) => {
        const v = applyTransform(
          p.transform,
          p.source.type,
          (readers[i] as (i: number) => IcebergValue | null)(r),
        );
        values[p.name] = v;
        exact.push(v === null ? '\u0000' : humanPartitionValue(p.transform, p.type, v));
      });
      const key = JSON.stringify(exact);
      let g = groups.get(key);
      if (!g) {
        g = { values, folders: folderPath(ptypes, values), rows: [] };
        groups.set(key, g);
      }
      g.rows.push(r);
    }
    const all = [...groups.entries()];
    if (all.length === 1) {
      const [k, g] = all[0] as [string, Group];
      return [{ group: k, folders: g.folders, values: g.values, batch }];
    }
    return all.map(([k, g]) => ({
      group: k,
      folders: g.folders,
      values: g.values,
      batch: takeRows(batch, Uint32Array.from(g.rows)),
    }));
  };

  return {
    async write(input) {
      const batch = withTableTimestamps(input, opts.columns);
      arrowSchema ??= withFieldIds(batch.schema, ids);
      if (batch.numRows === 0) return;
      const b = rebatch(batch, arrowSchema);
      for (const s of split(b)) {
        let f = open.get(s.group);
        f ??= await startFile(s.group, s.folders, s.values);
        f.stats.add(s.batch);
        await f.writer.write(batchToIpc(s.batch), s.batch.numRows);
        if (f.writer.estimatedBytes() >= opts.targetFileBytes) roll(f);
      }
    },

    async finish() {
      try {
        for (const f of [...open.values()]) roll(f);
        await Promise.all(closing);
      } finally {
        if (ownEncoder) await encoder.terminate();
        if (runTempDir) await fsp.rm(runTempDir, { recursive: true, force: true });
      }
      done.sort((a, b) => (a.staged.key < b.staged.key ? -1 : 1));
      return { dataFiles: done.map((d) => d.data), staged: done.map((d) => d.staged) };
    },

    async abort() {
      if (ownEncoder) await encoder.terminate();
      await Promise.allSettled(closing);
      open.clear();
      for (const t of temps) await fsp.rm(t, { force: true });
      if (runTempDir) await fsp.rm(runTempDir, { recursive: true, force: true });
      for (const k of written) await store.delete(k).catch(() => {});
    },

    staged() {
      return [
        ...done.map((d) => d.staged),
        ...[...open.values()].map((f) => ({
          key: f.key,
          stagingKey: f.key,
          rows: f.writer.rows,
          bytes: f.writer.estimatedBytes(),
          partition: stringPartition(f.partition),
        })),
      ];
    },
  };
}

/**
 * `name=value/…/` for a partition tuple, by the S3 target's rules: the value as Iceberg shows it
 * (ISO dates, `2024-01-01-10` hours), lower-cased with characters outside `[a-z0-9_-]` turned
 * into `_`, a null as `unknown`.
 */
function folderPath(
  ptypes: ReturnType<typeof partitionTypes>,
  values: Record<string, IcebergValue | null>,
): string {
  return partitionFolders(
    ptypes.map((p) => {
      const v = values[p.name] ?? null;
      const shown =
        v === null ? NULL_PARTITION : sanitizePartitionValue(humanPartitionValue(p.transform, p.type, v));
      return [sanitizePartitionValue(p.name), shown];
    }),
  );
}

function stringPartition(p: Record<string, IcebergValue | null>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(p).map(([k, v]) => [
      k,
      v === null ? 'null' : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v),
    ]),
  );
}
