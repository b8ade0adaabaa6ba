/**
 * Append data files to a table with optimistic concurrency (architecture §6 for Iceberg: the
 * commit is the snapshot). One manifest is written once; each attempt reloads the table, lists our
 * manifest before the current snapshot's manifests in a new manifest list (the rebase), and
 * commits `add-snapshot` + `set-snapshot-ref main` on condition that main has not moved.
 *
 * The snapshot summary carries `dativo.run-id` and `dativo.state`: before every attempt, and after
 * a commit whose outcome is unknown, the table is searched for our run id, so a commit lands
 * exactly once even when the answer to it was lost.
 */
import { randomUUID } from 'node:crypto';
import {
  type Catalog,
  CommitConflictError,
  CommitStateUnknownError,
  type LoadedTable,
  type TableIdent,
  type TableRequirement,
  type TableUpdate,
} from './catalog.js';
import type { FileIO } from './io.js';
import type { PartitionFieldType } from './manifest.js';
import {
  type DataFile,
  type ManifestFile,
  manifestFileFor,
  readManifestList,
  writeManifest,
  writeManifestList,
} from './manifest.js';
import type { IcebergSchema } from './metadata.js';
import {
  ancestors,
  currentSnapshot,
  newSnapshotId,
  type PartitionSpec,
  type Snapshot,
  type TableMetadata,
} from './metadata.js';

export const RUN_ID_KEY = 'dativo.run-id';
export const STATE_KEY = 'dativo.state';
export const JOB_KEY = 'dativo.job';
export const TENANT_KEY = 'dativo.tenant';

export interface AppendRequest {
  catalog: Catalog;
  ident: TableIdent;
  io: FileIO;
  files: DataFile[];
  /**
   * Equality delete files (CDC) committed in the same snapshot, in a delete manifest. They apply to
   * data files of earlier sequence numbers only, so this snapshot's own `files` survive them.
   */
  deleteFiles?: DataFile[];
  /** Drop every file of the parent snapshot (a TRUNCATE captured by CDC): the table restarts from `files`. */
  replaceAll?: boolean;
  /** The schema the files were written with and the spec they are partitioned by. */
  schema: IcebergSchema;
  spec: PartitionSpec;
  partitionTypes: PartitionFieldType[];
  runId: string;
  /** Extra summary entries (`dativo.state`, job, tenant...). */
  summary: Record<string, string>;
  /**
   * Schema changes for this attempt, given the freshly loaded metadata (empty when the table
   * already has our columns). Throws a non-retryable error when the table moved incompatibly.
   */
  evolve?: (md: TableMetadata) => { updates: TableUpdate[]; requirements: TableRequirement[] };
  /** Table properties to set when they differ (the tags). */
  properties?: Record<string, string>;
  /** Attempts in all (default 8) and the backoff between them (default 100 ms doubling to 5 s). */
  maxAttempts?: number;
  backoffMs?: { initial: number; max: number };
  /** Test hook: runs after the data is staged and before each commit attempt. */
  beforeCommit?: (attempt: number) => Promise<void> | void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface AppendResult {
  snapshot: Snapshot;
  table: LoadedTable;
  attempts: number;
  /** True when the snapshot was already there (an earlier attempt's commit had landed). */
  alreadyCommitted: boolean;
}

/** The snapshot in main's history that a run committed, if any. */
export function findRunSnapshot(md: TableMetadata, runId: string): Snapshot | undefined {
  const inMain = ancestors(md, currentSnapshot(md)?.['snapshot-id']);
  return inMain.find((s) => s.summary[RUN_ID_KEY] === runId);
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export async function appendFiles(req: AppendRequest): Promise<AppendResult> {
  const maxAttempts = req.maxAttempts ?? 8;
  const backoff = req.backoffMs ?? { initial: 100, max: 5000 };
  const sleep = req.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = req.now ?? Date.now;
  const snapshotId = newSnapshotId();
  const name = [...req.ident.namespace, req.ident.name].join('.');

  let table = await req.catalog.loadTable(req.ident);
  if (!table) throw new Error(`table ${name} does not exist`);
  const metaDir = `${table.metadata.location}/metadata`;
  const manifestPath = `${metaDir}/${randomUUID()}-m0.avro`;
  const manifestBytes = writeManifest({
    schema: req.schema,
    spec: req.spec,
    partitionTypes: req.partitionTypes,
    snapshotId,
    files: req.files,
  });
  await req.io.write(manifestPath, manifestBytes);
  const deletes = await writeDeleteManifest(req, metaDir, snapshotId);

  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (attempt > 1) {
      table = await req.catalog.loadTable(req.ident);
      if (!table) throw new Error(`table ${name} disappeared`);
    }
    const md = (table as LoadedTable).metadata;
    const done = findRunSnapshot(md, req.runId);
    if (done)
      return { snapshot: done, table: table as LoadedTable, attempts: attempt, alreadyCommitted: true };

    const parent = currentSnapshot(md);
    const parentManifests: ManifestFile[] = [];
    if (parent && !req.replaceAll) {
      const bytes = await req.io.read(parent['manifest-list']);
      if (!bytes)
        throw new Error(
          `manifest list ${parent['manifest-list']} of snapshot ${parent['snapshot-id']} is missing`,
        );
      parentManifests.push(...readManifestList(bytes).filter(hasLiveEntries));
    }
    const seq = md['last-sequence-number'] + 1;
    const ours = manifestFileFor(
      manifestPath,
      manifestBytes.length,
      req.spec['spec-id'],
      snapshotId,
      BigInt(seq),
      req.files,
      req.partitionTypes,
    );
    const listPath = `${metaDir}/snap-${snapshotId}-${attempt}-${randomUUID()}.avro`;
    await req.io.write(
      listPath,
      writeManifestList([ours, ...(deletes ? [deletes(seq)] : []), ...parentManifests], {
        snapshotId,
        ...(parent ? { parentSnapshotId: parent['snapshot-id'] } : {}),
        sequenceNumber: BigInt(seq),
      }),
    );

    const evolution = req.evolve?.(md) ?? { updates: [], requirements: [] };
    const schemaId = evolution.updates.some((u) => u.action === 'add-schema')
      ? Math.max(...md.schemas.map((s) => s['schema-id'])) + 1
      : md['current-schema-id'];
    const snapshot: Snapshot = {
      'snapshot-id': snapshotId,
      ...(parent ? { 'parent-snapshot-id': parent['snapshot-id'] } : {}),
      'sequence-number': seq,
      'timestamp-ms': Math.max(now(), md['last-updated-ms']),
      'manifest-list': listPath,
      summary: {
        operation: req.deleteFiles?.length || req.replaceAll ? 'overwrite' : 'append',
        ...totals(req.files, parentManifests, parent?.summary),
        ...deleteTotals(req.deleteFiles ?? [], parentManifests),
        ...req.summary,
        [RUN_ID_KEY]: req.runId,
      },
      'schema-id': schemaId,
    };
    const props = changedProperties(md.properties, req.properties);
    const requirements: TableRequirement[] = [
      { type: 'assert-table-uuid', uuid: md['table-uuid'] },
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent ? parent['snapshot-id'] : null },
      ...evolution.requirements,
    ];
    const updates: TableUpdate[] = [
      ...evolution.updates,
      ...(props ? [{ action: 'set-properties' as const, updates: props }] : []),
      { action: 'add-snapshot', snapshot },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshotId },
    ];

    try {
      await req.beforeCommit?.(attempt);
      const committed = await req.catalog.commitTable(req.ident, requirements, updates);
      return { snapshot, table: committed, attempts: attempt, alreadyCommitted: false };
    } catch (e) {
      if (e instanceof CommitConflictError) {
        // Another writer moved main: this list is dead; the next attempt rebases on theirs.
        await req.io.delete(listPath).catch(() => {});
      } else if (!(e instanceof CommitStateUnknownError)) {
        throw e;
      }
      // Unknown: keep the list (the commit may reference it); the next attempt looks for our run id.
      lastError = e as Error;
      if (attempt < maxAttempts) {
        const base = Math.min(backoff.max, backoff.initial * 2 ** (attempt - 1));
        await sleep(base / 2 + Math.random() * (base / 2));
      }
    }
  }
  // A last look: the final attempt's commit may have landed although its answer was lost.
  const last = await req.catalog.loadTable(req.ident);
  const landed = last && findRunSnapshot(last.metadata, req.runId);
  if (last && landed) return { snapshot: landed, table: last, attempts: maxAttempts, alreadyCommitted: true };
  throw new CommitConflictError(
    `could not commit to ${name} after ${maxAttempts} attempts: ${lastError?.message ?? 'conflicts'}`,
  );
}

/** Writes the delete manifest once; its manifest-list row depends on the attempt's sequence number. */
async function writeDeleteManifest(
  req: AppendRequest,
  metaDir: string,
  snapshotId: bigint,
): Promise<((seq: number) => ManifestFile) | undefined> {
  const files = req.deleteFiles ?? [];
  if (files.length === 0) return undefined;
  const path = `${metaDir}/${randomUUID()}-d0.avro`;
  const bytes = writeManifest({
    schema: req.schema,
    spec: req.spec,
    partitionTypes: req.partitionTypes,
    snapshotId,
    files,
    deletes: true,
  });
  await req.io.write(path, bytes);
  return (seq) =>
    manifestFileFor(
      path,
      bytes.length,
      req.spec['spec-id'],
      snapshotId,
      BigInt(seq),
      files,
      req.partitionTypes,
      1,
    );
}

/** Delete-file counts of the summary (Java's SnapshotSummary keys), parent's live delete manifests included. */
function deleteTotals(files: DataFile[], parent: ManifestFile[]): Record<string, string> {
  let total = files.length;
  let records = 0n;
  for (const m of parent) {
    if (m.content !== 1) continue;
    total += m.added_files_count + m.existing_files_count;
    records += BigInt(m.added_rows_count) + BigInt(m.existing_rows_count);
  }
  const added = files.reduce((n, f) => n + f.recordCount, 0);
  return {
    ...(files.length > 0
      ? { 'added-delete-files': String(files.length), 'added-equality-deletes': String(added) }
      : {}),
    'total-delete-files': String(total),
    'total-equality-deletes': String(records + BigInt(added)),
  };
}

/**
 * False for a manifest whose entries are all DELETED: the spec keeps DELETED entries only in the
 * snapshot that deleted them, so later snapshots drop the manifest (as iceberg-java and pyiceberg do).
 */
export function hasLiveEntries(m: ManifestFile): boolean {
  return m.added_files_count + m.existing_files_count > 0 || m.deleted_files_count === 0;
}

/** The standard summary counts (Java's SnapshotSummary keys) for an append. */
function totals(
  files: DataFile[],
  parent: ManifestFile[],
  parentSummary: Record<string, string> | undefined,
): Record<string, string> {
  const addedRecords = files.reduce((n, f) => n + f.recordCount, 0);
  const addedBytes = files.reduce((n, f) => n + f.fileSizeInBytes, 0);
  const partitions = new Set(
    files.map((f) => JSON.stringify(f.partition, (_k, v) => (typeof v === 'bigint' ? String(v) : v))),
  );
  let records = 0n;
  let dataFiles = 0;
  for (const m of parent) {
    if (m.content !== 0) continue;
    records += BigInt(m.added_rows_count) + BigInt(m.existing_rows_count);
    dataFiles += m.added_files_count + m.existing_files_count;
  }
  // Sizes of earlier files are not in the manifest list: carried over from the parent's summary.
  const parentSize = parent.length === 0 ? '0' : parentSummary?.['total-files-size'];
  return {
    'added-data-files': String(files.length),
    'added-records': String(addedRecords),
    'added-files-size': String(addedBytes),
    'changed-partition-count': String(partitions.size),
    'total-records': String(records + BigInt(addedRecords)),
    'total-data-files': String(dataFiles + files.length),
    'total-delete-files': '0',
    'total-position-deletes': '0',
    'total-equality-deletes': '0',
    ...(parentSize !== undefined && /^\d+$/.test(parentSize)
      ? { 'total-files-size': String(BigInt(parentSize) + BigInt(addedBytes)) }
      : {}),
  };
}

function changedProperties(
  have: Record<string, string>,
  want: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (!want) return undefined;
  const diff: Record<string, string> = {};
  for (const [k, v] of Object.entries(want)) if (have[k] !== v) diff[k] = v;
  return Object.keys(diff).length > 0 ? diff : undefined;
}
