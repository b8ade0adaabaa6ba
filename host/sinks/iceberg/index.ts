/**
 * The `iceberg` target: data files written under the table's location, then one atomic catalog
 * commit (an append snapshot) that carries the run id and the new source state in its summary.
 * The table is the source of truth for state: open() reads this job's latest snapshot and hands
 * it to state reconciliation as a CommitRecord.
 */
import type { RecordBatch, Schema } from 'apache-arrow';
import type { ResolvedJob } from '../../config/types.js';
import { outputSchema } from '../../contract/schema.js';
import { DativoError } from '../../errors.js';
import {
  appendFiles,
  findRunSnapshot,
  JOB_KEY,
  RUN_ID_KEY,
  STATE_KEY,
  TENANT_KEY,
} from '../../iceberg/append.js';
import {
  CommitConflictError,
  type LoadedTable,
  type TableRequirement,
  type TableUpdate,
} from '../../iceberg/catalog.js';
import {
  ancestors,
  currentSchema,
  currentSnapshot,
  defaultSpec,
  type Snapshot,
  type TableMetadata,
} from '../../iceberg/metadata.js';
import {
  initialSchema,
  partitionSpecFor,
  partitionTypes,
  type WriteSchema,
  writeSchemaFor,
} from '../../iceberg/schema.js';
import type { Logger } from '../../observability/logger.js';
import type { SourceState } from '../../sources/source.js';
import { type FileCommitRequest, SimulatedCrash } from '../file-sink.js';
import type { ParquetEncoder } from '../parquet/encoder.js';
import { objectAttributes } from '../s3/metadata.js';
import type {
  CommitRecord,
  CommitResult,
  RecoveryReport,
  Sink,
  SinkOpenContext,
  SinkSettings,
  StagedFile,
} from '../sink.js';
import { createDataFileWriter, type DataFileWriter } from './data-files.js';
import { icebergDataLayout } from './layout.js';
import {
  type IcebergTarget,
  type IcebergTargetJob,
  type OpenTargetOptions,
  openIcebergTarget,
} from './target.js';

export { nessieRestUri, openIcebergTarget, restCatalogOf, tableIdentOf } from './target.js';

export interface IcebergSinkOptions extends OpenTargetOptions {
  /** Commit attempts and backoff (tests). */
  maxAttempts?: number;
  backoffMs?: { initial: number; max: number };
  /** Test hook: runs before each commit attempt (e.g. to let another writer commit first). */
  beforeCommit?: (attempt: number) => Promise<void> | void;
  /** An encoder owned by the caller (shared across sinks in tests); never terminated by the sink. */
  encoder?: ParquetEncoder;
}

export type IcebergSinkJob = IcebergTargetJob &
  Pick<ResolvedJob, 'validationMode'> & { source?: Pick<ResolvedJob['source'], 'objects' | 'files'> };

export type IcebergSink = Sink & {
  commit(req: FileCommitRequest): Promise<CommitResult>;
  readonly target: IcebergTarget;
};

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export async function createIcebergSink(
  job: IcebergSinkJob,
  settings: SinkSettings,
  options: IcebergSinkOptions = {},
): Promise<IcebergSink> {
  const target = openIcebergTarget(job, options);
  const name = [...target.ident.namespace, target.ident.name].join('.');
  let ctx: SinkOpenContext | undefined;
  let log: Logger | undefined;
  let writer: DataFileWriter | undefined;
  let write: WriteSchema | undefined;
  let arrowSchema: Schema | undefined;
  let table: LoadedTable | undefined;
  let finished = false;
  let startedAt = new Date();

  const tableProperties = (): Record<string, string> => ({
    'write.format.default': 'parquet',
    ...propertiesFromKv(settings.kvMetadata),
  });

  /** The table, created on first use from the data's schema and the job's partitioning. */
  const ensureTable = async (schema: Schema): Promise<LoadedTable> => {
    const found = await target.catalog.loadTable(target.ident);
    if (found) {
      const wanted = partitionSpecFor(
        job.target.partitioning,
        initialSchemaLike(found.metadata, schema, name),
      ).spec;
      const have = defaultSpec(found.metadata);
      if (
        JSON.stringify(wanted.fields.map((f) => [f.name, f.transform])) !==
        JSON.stringify(have.fields.map((f) => [f.name, f.transform]))
      ) {
        log?.warn(
          { table: name, spec: have.fields, configured: job.target.partitioning },
          'the table keeps its partition spec; target.partitioning differs',
        );
      }
      return found;
    }
    const iSchema = initialSchema(schema);
    const { spec, skipped } = partitionSpecFor(job.target.partitioning, iSchema);
    if (skipped.length > 0)
      log?.info({ skipped }, 'partition entries without a column are not Iceberg partitions');
    try {
      return await target.catalog.createTable(target.ident, {
        name: target.ident.name,
        schema: iSchema,
        'partition-spec': spec,
        properties: tableProperties(),
      });
    } catch (e) {
      // Another writer created it first: use theirs.
      if (!(e instanceof CommitConflictError)) throw e;
      const t = await target.catalog.loadTable(target.ident);
      if (!t) throw e;
      return t;
    }
  };

  /** The contract decides zone drift: only a zone it states is a change (see schema.ts). */
  const schemaOptions = {
    zoneDeclared: (column: string) => {
      const f = job.contract.fields.find((x) => x.name === column);
      return f?.type.kind !== 'timestamp' || f.type.utc !== 'auto';
    },
  };
  const matchSchema = (schema: Schema, md: TableMetadata) =>
    writeSchemaFor(schema, currentSchema(md), md['last-column-id'], name, schemaOptions);

  const startWriter = async (schema: Schema): Promise<DataFileWriter> => {
    table = await ensureTable(schema);
    const md = table.metadata;
    write = matchSchema(schema, md);
    if (write.added.length > 0)
      log?.info({ table: name, added: write.added }, 'new columns evolve the table schema');
    if (write.retyped.length > 0)
      log?.warn(
        { table: name, columns: write.retyped },
        "timestamp zone differs from the table's; values written with the table's type (same instants)",
      );
    return openWriter(md);
  };

  const openWriter = (md: TableMetadata): DataFileWriter => {
    const c = ctx as SinkOpenContext;
    const used = write as WriteSchema;
    const { store, tableKey } = target.ioFor(md.location);
    return createDataFileWriter({
      store,
      tableKey,
      tableLocation: md.location,
      runId: c.runId,
      schema: used.schema,
      columns: used.columns,
      spec: defaultSpec(md),
      compression: job.target.compression,
      rowGroupSize: job.target.rowGroupSize,
      targetFileBytes: Math.max(1, (job.target.parquetTargetSizeMb || 128) * 1024 * 1024),
      kvMetadata: settings.kvMetadata,
      // the same layout, object metadata and tags as the S3 target's files
      layout: icebergDataLayout(job, used.schema, startedAt),
      objectAttributes: (file, closedAt) =>
        objectAttributes({ job: { ...job, tenantId: c.tenant }, kv: settings.kvMetadata }, file, closedAt),
      ...(options.encoder ? { encoder: options.encoder } : {}),
    });
  };

  /**
   * Nothing was written (every row rejected, or an empty source): the state is still committed.
   * An existing table is used as it is — a run without rows cannot conflict with its schema.
   */
  const startEmptyWriter = async (): Promise<DataFileWriter> => {
    const found = await target.catalog.loadTable(target.ident);
    if (!found) {
      const schema = outputSchema(
        job.contract.fields,
        job.contract.fields.map(() => false),
        [],
        job.validationMode,
      );
      arrowSchema = schema;
      return startWriter(schema);
    }
    table = found;
    const schema = currentSchema(found.metadata);
    write = { schema, columns: new Map(), added: [], relaxed: [], evolves: false, retyped: [] };
    return openWriter(found.metadata);
  };

  /** Schema updates for a commit attempt against freshly loaded metadata. */
  const evolve = (md: TableMetadata): { updates: TableUpdate[]; requirements: TableRequirement[] } => {
    const used = write as WriteSchema;
    if (!arrowSchema) return { updates: [], requirements: [] }; // no rows: nothing to match
    const now = matchSchema(arrowSchema, md);
    for (const [col, c] of used.columns) {
      const id = now.columns.get(col)?.id;
      if (id !== c.id) {
        throw new DativoError(
          'COMMIT_FAILED',
          `column ${col} of ${name} was given field id ${id} by a concurrent schema change, but this run wrote it as ${c.id}; rerun the job`,
          { location: { field: col } },
        );
      }
    }
    if (!now.evolves) return { updates: [], requirements: [] };
    return {
      updates: [
        {
          action: 'add-schema',
          schema: now.schema,
          'last-column-id': Math.max(md['last-column-id'], ...[...now.columns.values()].map((c) => c.id)),
        },
        { action: 'set-current-schema', 'schema-id': -1 },
      ],
      requirements: [
        { type: 'assert-current-schema-id', 'current-schema-id': md['current-schema-id'] },
        { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': md['last-column-id'] },
      ],
    };
  };

  return {
    kind: 'iceberg',
    target,

    async open(c): Promise<RecoveryReport> {
      ctx = c;
      log = c.logger;
      startedAt = new Date();
      const t = await target.catalog.loadTable(target.ident);
      const latest = t ? latestCommitOf(t.metadata, c) : undefined;
      return { rolledForward: [], cleaned: [], ...(latest ? { latest } : {}) };
    },

    async write(batch: RecordBatch) {
      if (!ctx) throw new DativoError('INTERNAL', 'sink used before open()');
      if (finished) throw new DativoError('INTERNAL', 'write after commit or abort');
      if (!writer) {
        arrowSchema = batch.schema;
        writer = await startWriter(batch.schema);
      }
      await writer.write(batch);
    },

    async commit(req: FileCommitRequest): Promise<CommitResult> {
      if (!ctx) throw new DativoError('INTERNAL', 'sink used before open()');
      if (finished) throw new DativoError('INTERNAL', 'commit after commit or abort');
      const c = ctx;
      try {
        if (!writer) writer = await startEmptyWriter();
        const { dataFiles, staged } = await writer.finish();
        finished = true;
        if (req._crashAfter === 'staged') throw new SimulatedCrash('staged');
        const md = (table as LoadedTable).metadata;
        const { io, store, tableKey } = target.ioFor(md.location);
        let rejectsKey: string | undefined;
        if (req.rejectsFile) {
          rejectsKey = `${tableKey}/_dativo/rejects/${c.runId}.jsonl`;
          await store.putFile(rejectsKey, req.rejectsFile);
        }
        const used = write as WriteSchema;
        const spec = defaultSpec(md);
        let result: Awaited<ReturnType<typeof appendFiles>>;
        try {
          result = await appendFiles({
            catalog: target.catalog,
            ident: target.ident,
            io,
            files: dataFiles,
            schema: used.schema,
            spec,
            partitionTypes: partitionTypes(spec, used.schema),
            runId: c.runId,
            summary: { [STATE_KEY]: JSON.stringify(req.state), [JOB_KEY]: c.job, [TENANT_KEY]: c.tenant },
            evolve,
            properties: tableProperties(),
            ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
            ...(options.backoffMs ? { backoffMs: options.backoffMs } : {}),
            ...(options.beforeCommit ? { beforeCommit: options.beforeCommit } : {}),
          });
        } catch (e) {
          await dropIfNotCommitted(target, c.runId, () => writer?.abort() ?? Promise.resolve(), log);
          throw e instanceof DativoError
            ? e
            : new DativoError(
                'COMMIT_FAILED',
                `committing to Iceberg table ${name} failed: ${(e as Error).message}`,
                {
                  cause: e,
                  retryable: e instanceof CommitConflictError,
                },
              );
        }
        const record = recordOf(result.snapshot, c, staged, req.state, rejectsKey);
        log?.info(
          {
            runId: c.runId,
            table: name,
            snapshot: String(result.snapshot['snapshot-id']),
            attempts: result.attempts,
            rows: record.rows,
          },
          result.alreadyCommitted ? 'snapshot already committed' : 'committed snapshot',
        );
        if (req._crashAfter === 'record') throw new SimulatedCrash('record');
        return { record };
      } finally {
        target.close();
      }
    },

    async abort(reason) {
      finished = true;
      try {
        await writer?.abort();
        log?.info({ runId: ctx?.runId, reason }, 'aborted; data files removed');
      } finally {
        target.close();
      }
    },

    staged(): StagedFile[] {
      return writer?.staged() ?? [];
    },
  };
}

/** Where the table lives, for reports (never includes credentials). */
export function icebergTargetLocation(job: ResolvedJob): string | undefined {
  try {
    const t = openIcebergTarget(job);
    t.close();
    return `${t.location} (${[...t.ident.namespace, t.ident.name].join('.')})`;
  } catch {
    return undefined;
  }
}

/** This job's newest snapshot on main as a CommitRecord (what reconcileState consumes). */
export function latestCommitOf(
  md: TableMetadata,
  c: Pick<SinkOpenContext, 'job' | 'tenant'>,
): CommitRecord | undefined {
  const mine = ancestors(md, currentSnapshot(md)?.['snapshot-id']).find(
    (s) => s.summary[RUN_ID_KEY] && s.summary[JOB_KEY] === c.job && s.summary[TENANT_KEY] === c.tenant,
  );
  return mine ? recordOf(mine, c, [], undefined) : undefined;
}

function recordOf(
  s: Snapshot,
  c: Pick<SinkOpenContext, 'job' | 'tenant'>,
  files: StagedFile[],
  state: SourceState | undefined,
  rejectsKey?: string,
): CommitRecord {
  let parsed: SourceState = {};
  if (state) parsed = state;
  else {
    try {
      parsed = JSON.parse(s.summary[STATE_KEY] ?? '{}') as SourceState;
    } catch {
      throw new DativoError('STATE_CORRUPT', `snapshot ${s['snapshot-id']} has an unreadable ${STATE_KEY}`);
    }
  }
  return {
    version: 1,
    runId: s.summary[RUN_ID_KEY] as string,
    job: c.job,
    tenant: c.tenant,
    createdAt: new Date(s['timestamp-ms']).toISOString(),
    status: 'done',
    files,
    rows: Number(s.summary['added-records'] ?? 0),
    bytes: Number(s.summary['added-files-size'] ?? 0),
    state: parsed,
    ...(rejectsKey ? { rejectsKey } : {}),
  };
}

/** After a failed commit: delete the data files unless the table shows the run committed. */
export async function dropIfNotCommitted(
  target: IcebergTarget,
  runId: string,
  drop: () => Promise<void>,
  log: Logger | undefined,
): Promise<void> {
  try {
    const t = await target.catalog.loadTable(target.ident);
    if (t && findRunSnapshot(t.metadata, runId)) return;
    await drop();
  } catch (e) {
    // Cannot tell: keep the files (unreferenced files are harmless; a referenced one is data).
    log?.warn(
      { runId, err: (e as Error).message },
      'could not check the table after a failed commit; data files kept',
    );
  }
}

/** Spec §6 table property names from the `dativo.*` key-value tags. */
export function propertiesFromKv(kv: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(kv)) {
    if (/^dativo\.(classification|governance|finops)\./.test(k)) out[k.slice('dativo.'.length)] = v;
    else if (k === 'dativo.contract.version') out['asset.version'] = v;
    else if (/^dativo\.asset\./.test(k)) out[k.slice('dativo.'.length)] = v;
  }
  return out;
}

/** The table's schema extended by the data's new columns, to resolve partition entries against. */
function initialSchemaLike(md: TableMetadata, schema: Schema, name: string) {
  return writeSchemaFor(schema, currentSchema(md), md['last-column-id'], name, { zoneDeclared: () => false })
    .schema;
}
