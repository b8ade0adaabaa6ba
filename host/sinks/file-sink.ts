/**
 * A Parquet-files Sink over any ObjectStore: batches are partitioned, encoded by the worker into
 * staged `.parquet.part` files that roll at the target size, and published by the commit protocol.
 * The local sink and a future S3 sink are this one with a different store.
 */
import { randomUUID } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RecordBatch, Schema } from 'apache-arrow';
import type { Compression } from '../config/types.js';
import { environmentError } from '../environment-errors.js';
import { DativoError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { beginRun, completeCommit, dropStaging, replacedBy, writeCommitRecord } from './commit.js';
import { assignFieldIds, type FieldIdMap, loadFieldIds, saveFieldIds } from './field-ids.js';
import { assertRunId, dataFileKey, ingestDateOf, keys, type TableLayout } from './layout.js';
import { batchToIpc, rebatch, schemaSignature, withFieldIds } from './parquet/arrow.js';
import { createParquetEncoder, type ParquetEncoder, type ParquetFileWriter } from './parquet/encoder.js';
import { INGEST_DATE, splitByPartition } from './partition.js';
import type {
  CommitRecord,
  CommitRequest,
  CommitResult,
  RecoveryReport,
  Sink,
  SinkOpenContext,
  StagedFile,
} from './sink.js';
import type { GrowingFileUpload, ObjectStore, PutFileOptions } from './store/object-store.js';

export interface FileSinkOptions {
  store: ObjectStore;
  layout: TableLayout;
  /** Contract columns and/or `ingest_date` (the run's UTC date). */
  partitionBy: string[];
  compression: Compression;
  rowGroupSize: number;
  /** `parquet_target_size_mb`; default 128. */
  targetFileSizeMb?: number;
  /** Footer key-value metadata (the `dativo.*` tags). `dativo.run_id` is added. */
  kvMetadata?: Record<string, string>;
  /** `Sink.kind`; default `files`. */
  kind?: string;
  /** Where files are encoded when the store has no local paths (S3); default the OS temp dir. */
  tempDir?: string;
  /** Batches in flight to the encoder worker; default 4. */
  maxInFlight?: number;
  /**
   * An encoder owned by the caller (e.g. shared or pre-started); the sink then never terminates
   * it, also not on abort. By default the sink starts its own worker and stops it at commit/abort.
   */
  encoder?: ParquetEncoder;
  createdBy?: string;
  /** Clock for `ingest_date` and the staging marker (tests). */
  now?: () => Date;
  /**
   * Attributes for each data file's object (S3 user metadata and tags), computed once the file is
   * closed and set on its staging upload; publish() copies them to the final object. Only used
   * for stores without local paths.
   */
  objectAttributes?: (file: StagedFile, closedAt: Date) => PutFileOptions;
}

/** Test hook: stop the commit as if the process died at that point. */
export type CrashPoint = 'staged' | 'record' | 'publish';

export interface FileCommitRequest extends CommitRequest {
  _crashAfter?: CrashPoint;
}

export class SimulatedCrash extends Error {
  constructor(readonly point: CrashPoint) {
    super(`simulated crash after ${point}`);
    this.name = 'SimulatedCrash';
  }
}

interface OpenFile {
  writer: ParquetFileWriter;
  key: string;
  stagingKey: string;
  /** Local file the encoder writes; the staging object itself for a local store. */
  localPath: string;
  partition: Record<string, string>;
  /** Remote stores that can: the staging upload, running while the encoder writes. */
  upload?: GrowingFileUpload;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createFileSink(
  opts: FileSinkOptions,
): Sink & { commit(req: FileCommitRequest): Promise<CommitResult> } {
  const store = opts.store;
  const targetBytes = Math.max(1, (opts.targetFileSizeMb ?? 128) * 1024 * 1024);
  const now = opts.now ?? (() => new Date());

  let ctx: SinkOpenContext | undefined;
  let log: Logger | undefined;
  let ingestDate = '';
  let encoder: ParquetEncoder | undefined;
  let idMap: FieldIdMap | undefined;
  let usedIds: Map<string, number> | undefined;
  let firstSchema: { signature: string; withIds: Schema } | undefined;
  let counter = 0;
  let failure: Error | undefined;
  let recordWritten = false;
  let finished = false;
  const open = new Map<string, OpenFile>();
  const closing: Promise<StagedFile>[] = [];
  const staged: StagedFile[] = [];
  const tempFiles = new Set<string>();
  /** The run's folder in the temp dir (stores without local paths), removed at commit or abort. */
  let runTempDir: string | undefined;
  const uploads = new Set<GrowingFileUpload>();

  const runId = (): string => {
    if (!ctx) throw new DativoError('INTERNAL', 'sink used before open()');
    return ctx.runId;
  };

  const fail = (e: unknown, what: string): DativoError => {
    const err =
      e instanceof DativoError
        ? e
        : (environmentError(e) ??
          new DativoError('WRITE_FAILED', `${what}: ${e instanceof Error ? e.message : String(e)}`, {
            cause: e,
          }));
    failure ??= err;
    return err;
  };

  const startFile = async (partPath: string, values: [string, string][]): Promise<OpenFile> => {
    const id = randomUUID();
    const stagingKey = keys.stagingFile(runId(), id);
    let localPath: string;
    if (store.localPath) localPath = await store.localPath(stagingKey);
    else {
      const dir = path.join(opts.tempDir ?? os.tmpdir(), `dativo-${runId()}`);
      await fsp.mkdir(dir, { recursive: true });
      runTempDir = dir;
      localPath = path.join(dir, `${id}.parquet.part`);
      tempFiles.add(localPath);
    }
    encoder ??= opts.encoder ?? createParquetEncoder({ maxInFlight: opts.maxInFlight });
    const writer = encoder.open(localPath, {
      compression: opts.compression,
      rowGroupSize: opts.rowGroupSize,
      kvMetadata: { ...opts.kvMetadata, 'dativo.run_id': runId() },
      createdBy: opts.createdBy,
    });
    const f: OpenFile = {
      writer,
      key: dataFileKey(opts.layout, values, runId(), counter++),
      stagingKey,
      localPath,
      partition: Object.fromEntries(values),
    };
    // Upload while encoding: the network and the encoder work at the same time, instead of one
    // after the other. The attributes are only known at close, so publish() applies them.
    if (!store.localPath && store.uploadGrowingFile) {
      f.upload = store.uploadGrowingFile(stagingKey, localPath);
      uploads.add(f.upload);
    }
    open.set(partPath, f);
    return f;
  };

  const finishFile = async (f: OpenFile): Promise<StagedFile> => {
    const closed = await f.writer.close();
    const s: StagedFile = {
      key: f.key,
      stagingKey: f.stagingKey,
      rows: closed.rows,
      bytes: closed.bytes,
      partition: f.partition,
    };
    if (f.upload) {
      const attrs = opts.objectAttributes?.(s, now());
      if (attrs) s.attributes = attrs;
      await f.upload.finish(closed.bytes);
      uploads.delete(f.upload);
      await fsp.rm(f.localPath, { force: true });
      tempFiles.delete(f.localPath);
    } else if (!store.localPath) {
      await store.putFile(f.stagingKey, f.localPath, opts.objectAttributes?.(s, now()));
      await fsp.rm(f.localPath, { force: true });
      tempFiles.delete(f.localPath);
    }
    staged.push(s);
    return s;
  };

  /** Close in the background (rolling): the next file starts while this one flushes. */
  const roll = (partPath: string, f: OpenFile): void => {
    open.delete(partPath);
    const p = finishFile(f);
    p.catch(() => {}); // observed at commit; never an unhandled rejection
    closing.push(p);
  };

  const prepareSchema = async (batch: RecordBatch): Promise<Schema> => {
    const signature = schemaSignature(batch.schema);
    if (firstSchema) {
      if (signature !== firstSchema.signature) {
        throw new DativoError(
          'WRITE_FAILED',
          `batch schema differs from the run's first batch: expected {${firstSchema.signature}}, got {${signature}}`,
        );
      }
      return firstSchema.withIds;
    }
    const names = batch.schema.fields.map((f) => f.name);
    for (const p of opts.partitionBy) {
      if (p !== INGEST_DATE && !names.includes(p)) {
        throw new DativoError(
          'WRITE_FAILED',
          `partition column ${p} is not a column of the data (${names.join(', ')})`,
        );
      }
    }
    idMap ??= await loadFieldIds(store, opts.layout.assetName);
    const assigned = assignFieldIds(idMap, names);
    idMap = assigned.map;
    usedIds = assigned.ids;
    if (assigned.added.length > 0) log?.debug({ added: assigned.added }, 'new field ids');
    firstSchema = { signature, withIds: withFieldIds(batch.schema, assigned.ids) };
    return firstSchema.withIds;
  };

  const closeAll = async (): Promise<StagedFile[]> => {
    for (const [p, f] of [...open.entries()]) roll(p, f);
    await Promise.all(closing);
    return [...staged].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  };

  /** Leaves nothing in the temp dir, whether the run committed or not. */
  const removeTemp = async (): Promise<void> => {
    for (const t of tempFiles) await fsp.rm(t, { force: true });
    tempFiles.clear();
    if (runTempDir) await fsp.rm(runTempDir, { recursive: true, force: true });
    runTempDir = undefined;
  };

  const stopEncoder = async (): Promise<void> => {
    const e = encoder;
    encoder = undefined;
    if (e && e !== opts.encoder) await e.terminate();
  };

  return {
    kind: opts.kind ?? 'files',

    async open(c): Promise<RecoveryReport> {
      assertRunId(c.runId);
      ctx = c;
      log = c.logger;
      encoder ??= opts.encoder ?? createParquetEncoder({ maxInFlight: opts.maxInFlight });
      encoder.warmUp();
      const started = now();
      ingestDate = ingestDateOf(started);
      return beginRun(store, c, started);
    },

    async write(batch) {
      if (failure) throw failure;
      if (finished) throw new DativoError('INTERNAL', 'write after commit or abort');
      try {
        const schema = await prepareSchema(batch);
        if (batch.numRows === 0) return;
        const slices = splitByPartition(rebatch(batch, schema), opts.partitionBy, ingestDate);
        for (const s of slices) {
          let f = open.get(s.path);
          // Roll before a batch that would carry the file more than halfway past the target, so
          // sizes centre on the target instead of always overshooting by up to one batch.
          if (f && f.writer.rows > 0) {
            const est = f.writer.estimatedBytes();
            if (est + ((est / f.writer.rows) * s.batch.numRows) / 2 >= targetBytes) {
              roll(s.path, f);
              f = undefined;
            }
          }
          f ??= await startFile(s.path, s.values);
          await f.writer.write(batchToIpc(s.batch), s.batch.numRows);
          if (f.writer.estimatedBytes() >= targetBytes) roll(s.path, f);
        }
      } catch (e) {
        throw fail(e, 'writing Parquet failed');
      }
    },

    async commit(req: FileCommitRequest): Promise<CommitResult> {
      if (failure) throw failure;
      if (finished) throw new DativoError('INTERNAL', 'commit after commit or abort');
      const id = runId();
      const c = ctx as SinkOpenContext;
      let files: StagedFile[];
      try {
        files = await closeAll();
      } catch (e) {
        // One file failed: stop the others' uploads rather than finish data nobody will commit.
        await Promise.allSettled([...uploads].map((u) => u.abort()));
        throw fail(e, 'finishing Parquet files failed');
      } finally {
        await stopEncoder();
        await removeTemp();
      }
      finished = true;
      // The map goes first: every recorded file's ids are then in it, and roll-forward never
      // needs to write it. Ids a crashed run added stay assigned to their names, which is harmless.
      if (usedIds) await saveFieldIds(store, opts.layout.assetName, usedIds);
      const rejects = req.rejectsFile;
      if (rejects) {
        await store.putFile(keys.stagingRejects(id), rejects);
      }
      const record: CommitRecord = {
        version: 1,
        runId: id,
        job: c.job,
        tenant: c.tenant,
        createdAt: now().toISOString(),
        status: 'pending',
        files,
        rows: files.reduce((n, f) => n + f.rows, 0),
        bytes: files.reduce((n, f) => n + f.bytes, 0),
        state: req.state,
        ...(rejects ? { rejectsKey: keys.rejects(id) } : {}),
        ...(req.replace ? { replaces: await replacedBy(store, { job: c.job, tenant: c.tenant }) } : {}),
      };
      if (req._crashAfter === 'staged') throw new SimulatedCrash('staged');
      await writeCommitRecord(store, record);
      recordWritten = true;
      if (req._crashAfter === 'record') throw new SimulatedCrash('record');
      const done = await completeCommit(store, record, {
        afterFirstPublish: () => {
          if (req._crashAfter === 'publish') throw new SimulatedCrash('publish');
        },
      });
      log?.info({ runId: id, files: done.files.length, rows: done.rows, bytes: done.bytes }, 'committed');
      return { record: done };
    },

    async abort(reason) {
      finished = true;
      await stopEncoder();
      await Promise.allSettled([...uploads].map((u) => u.abort()));
      uploads.clear();
      await Promise.allSettled(closing);
      open.clear();
      await removeTemp();
      if (!ctx) return;
      if (recordWritten) {
        // The record promises these files: the next open() rolls them forward.
        log?.warn(
          { runId: ctx.runId, reason },
          'abort after the commit record: staging kept for roll-forward',
        );
        return;
      }
      const dropped = await dropStaging(store, ctx.runId);
      // "nothing new" is a normal outcome, not a failure: only debug output mentions the cleanup.
      const level = reason === 'nothing new' ? 'debug' : 'info';
      log?.[level](
        { runId: ctx.runId, reason, dropped },
        'run ended without a commit; its staging was removed',
      );
    },

    staged() {
      const inProgress = [...open.values()].map((f) => ({
        key: f.key,
        stagingKey: f.stagingKey,
        rows: f.writer.rows,
        bytes: f.writer.estimatedBytes(),
        partition: f.partition,
      }));
      return [...staged, ...inProgress];
    },
  };
}
