/**
 * Replace data files with others holding the same rows (compaction), as one `replace` snapshot.
 *
 * The new files go into one manifest of ADDED entries. Every manifest of the parent that lists a
 * replaced file is split: its other entries are kept in a manifest as EXISTING (with their
 * sequence numbers and snapshot ids spelled out, since they can no longer be inherited), and the
 * replaced ones go into one manifest of DELETED entries, which the next snapshot drops (append.ts
 * `hasLiveEntries`). Manifests without a replaced file are listed unchanged.
 *
 * Delete files (merge-on-read) are refused: a rewritten row could lose a delete that applied to it.
 * Each attempt starts from the freshly loaded table, so appends that land meanwhile are kept; a
 * replaced file that is gone by then (another compaction, an overwrite) fails the rewrite.
 */
import { randomUUID } from 'node:crypto';
import { encodeContainer } from './avro.js';
import { type Catalog, CommitConflictError, type LoadedTable, type TableIdent } from './catalog.js';
import type { FileIO } from './io.js';
import { stringifyJson } from './json.js';
import {
  type DataFile,
  type ManifestFile,
  manifestEntrySchema,
  manifestFileFor,
  type PartitionFieldType,
  readManifest,
  readManifestList,
  writeManifest,
  writeManifestList,
} from './manifest.js';
import {
  currentSchema,
  currentSnapshot,
  defaultSpec,
  newSnapshotId,
  type Snapshot,
  type TableMetadata,
} from './metadata.js';

/** A live data file of the current snapshot, as its manifest lists it. */
export interface LiveDataFile {
  path: string;
  /** The decoded `data_file` record (partition as the Avro record, statistics as maps). */
  dataFile: Record<string, unknown>;
  manifest: ManifestFile;
  snapshotId: bigint;
  sequenceNumber: bigint;
  fileSequenceNumber: bigint;
  recordCount: number;
  fileSizeInBytes: number;
}

export interface TableFiles {
  data: LiveDataFile[];
  /** Live delete files (position or equality) in the snapshot. */
  deleteFiles: number;
}

/** Every live data file of a snapshot, and how many delete files it has. */
export async function liveFiles(io: FileIO, snapshot: Snapshot | undefined): Promise<TableFiles> {
  if (!snapshot) return { data: [], deleteFiles: 0 };
  const list = await io.read(snapshot['manifest-list']);
  if (!list) throw new Error(`manifest list ${snapshot['manifest-list']} is missing`);
  const out: TableFiles = { data: [], deleteFiles: 0 };
  for (const m of readManifestList(list)) {
    if (m.content !== 0) {
      out.deleteFiles += m.added_files_count + m.existing_files_count;
      continue;
    }
    const bytes = await io.read(m.manifest_path);
    if (!bytes) throw new Error(`manifest ${m.manifest_path} is missing`);
    for (const e of readManifest(bytes).entries) {
      const status = Number(e.status);
      if (status === 2) continue; // DELETED
      const df = e.data_file as Record<string, unknown>;
      // Only ADDED entries may inherit (spec "Sequence Number Inheritance").
      const inherit = <T>(v: unknown, fallback: T): T =>
        v === null || v === undefined ? fallback : (v as T);
      out.data.push({
        path: String(df.file_path),
        dataFile: df,
        manifest: m,
        snapshotId: BigInt(inherit(e.snapshot_id, m.added_snapshot_id)),
        sequenceNumber: BigInt(inherit(e.sequence_number, m.sequence_number)),
        fileSequenceNumber: BigInt(inherit(e.file_sequence_number, m.sequence_number)),
        recordCount: Number(df.record_count),
        fileSizeInBytes: Number(df.file_size_in_bytes),
      });
    }
  }
  return out;
}

export class RewriteConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RewriteConflictError';
  }
}

export interface RewriteRequest {
  catalog: Catalog;
  ident: TableIdent;
  io: FileIO;
  /** Paths of the files replaced (all in manifests of the default spec). */
  replaced: string[];
  /** The files holding their rows, written with the current schema and default spec. */
  added: DataFile[];
  partitionTypes: PartitionFieldType[];
  summary?: Record<string, string>;
  maxAttempts?: number;
}

export async function replaceDataFiles(
  req: RewriteRequest,
): Promise<{ snapshot: Snapshot; table: LoadedTable }> {
  const name = [...req.ident.namespace, req.ident.name].join('.');
  const snapshotId = newSnapshotId();
  const replaced = new Set(req.replaced);
  for (let attempt = 1; ; attempt++) {
    const table = await req.catalog.loadTable(req.ident);
    if (!table) throw new Error(`table ${name} does not exist`);
    const md = table.metadata;
    const parent = currentSnapshot(md);
    const files = await liveFiles(req.io, parent);
    if (files.deleteFiles > 0)
      throw new RewriteConflictError(`${name} has ${files.deleteFiles} delete file(s) now; nothing replaced`);
    const gone = [...replaced].filter((p) => !files.data.some((f) => f.path === p));
    if (gone.length > 0)
      throw new RewriteConflictError(
        `${gone.length} file(s) to replace are no longer in ${name}: ${gone[0]}`,
      );

    const seq = BigInt(md['last-sequence-number'] + 1);
    const manifests = await writeManifests(req, md, files.data, replaced, snapshotId, seq);
    const listPath = `${md.location}/metadata/snap-${snapshotId}-${attempt}-${randomUUID()}.avro`;
    await req.io.write(
      listPath,
      writeManifestList(manifests, {
        snapshotId,
        ...(parent ? { parentSnapshotId: parent['snapshot-id'] } : {}),
        sequenceNumber: seq,
      }),
    );
    const removed = files.data.filter((f) => replaced.has(f.path));
    const snapshot: Snapshot = {
      'snapshot-id': snapshotId,
      ...(parent ? { 'parent-snapshot-id': parent['snapshot-id'] } : {}),
      'sequence-number': Number(seq),
      'timestamp-ms': Math.max(Date.now(), md['last-updated-ms']),
      'manifest-list': listPath,
      summary: {
        operation: 'replace',
        ...replaceTotals(req.added, removed, files.data, parent),
        ...req.summary,
      },
      'schema-id': md['current-schema-id'],
    };
    try {
      const committed = await req.catalog.commitTable(
        req.ident,
        [
          { type: 'assert-table-uuid', uuid: md['table-uuid'] },
          { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent?.['snapshot-id'] ?? null },
          { type: 'assert-default-spec-id', 'default-spec-id': md['default-spec-id'] },
        ],
        [
          { action: 'add-snapshot', snapshot },
          { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshotId },
        ],
      );
      return { snapshot, table: committed };
    } catch (e) {
      await req.io.delete(listPath).catch(() => {});
      if (!(e instanceof CommitConflictError) || attempt >= (req.maxAttempts ?? 4)) throw e;
    }
  }
}

/** The manifest list's rows: ours (ADDED), the split manifests, and the untouched ones. */
async function writeManifests(
  req: RewriteRequest,
  md: TableMetadata,
  live: LiveDataFile[],
  replaced: Set<string>,
  snapshotId: bigint,
  seq: bigint,
): Promise<ManifestFile[]> {
  const schema = currentSchema(md);
  const spec = defaultSpec(md);
  const metaDir = `${md.location}/metadata`;
  const out: ManifestFile[] = [];
  const put = async (bytes: Uint8Array): Promise<{ path: string; length: number }> => {
    const path = `${metaDir}/${randomUUID()}-m${out.length}.avro`;
    await req.io.write(path, bytes);
    return { path, length: bytes.length };
  };

  const added = await put(
    writeManifest({ schema, spec, partitionTypes: req.partitionTypes, snapshotId, files: req.added }),
  );
  out.push(
    manifestFileFor(
      added.path,
      added.length,
      spec['spec-id'],
      snapshotId,
      seq,
      req.added,
      req.partitionTypes,
    ),
  );

  const touched = new Set(live.filter((f) => replaced.has(f.path)).map((f) => f.manifest.manifest_path));
  const untouched = new Map<string, ManifestFile>();
  const deleted: LiveDataFile[] = [];
  const encode = (entries: unknown[]) =>
    encodeContainer(manifestEntrySchema(req.partitionTypes), entries, {
      schema: stringifyJson(schema),
      'schema-id': String(schema['schema-id']),
      'partition-spec': stringifyJson(spec.fields),
      'partition-spec-id': String(spec['spec-id']),
      'format-version': '2',
      content: 'data',
    });
  const entry = (status: number, f: LiveDataFile, sid: bigint) => ({
    status,
    snapshot_id: sid,
    sequence_number: f.sequenceNumber,
    file_sequence_number: f.fileSequenceNumber,
    data_file: f.dataFile,
  });

  for (const path of touched) {
    const inManifest = live.filter((f) => f.manifest.manifest_path === path);
    const kept = inManifest.filter((f) => !replaced.has(f.path));
    deleted.push(...inManifest.filter((f) => replaced.has(f.path)));
    if (kept.length === 0) continue;
    const source = inManifest[0]?.manifest as ManifestFile;
    const m = await put(encode(kept.map((f) => entry(0, f, f.snapshotId))));
    out.push(splitManifest(m, source, snapshotId, seq, kept, 'existing'));
  }
  for (const f of live)
    if (!touched.has(f.manifest.manifest_path)) untouched.set(f.manifest.manifest_path, f.manifest);

  const d = await put(encode(deleted.map((f) => entry(2, f, snapshotId))));
  out.push(splitManifest(d, deleted[0]?.manifest as ManifestFile, snapshotId, seq, deleted, 'deleted'));
  out.push(...untouched.values());
  return out;
}

/**
 * The list row of a manifest split from `source`: its partition summary is the source's (bounds of
 * a superset of the files, so still safe for pruning).
 */
function splitManifest(
  written: { path: string; length: number },
  source: ManifestFile,
  snapshotId: bigint,
  seq: bigint,
  files: LiveDataFile[],
  as: 'existing' | 'deleted',
): ManifestFile {
  const rows = files.reduce((n, f) => n + BigInt(f.recordCount), 0n);
  let minSeq = seq; // bigint: no Math.min
  for (const f of files) if (f.sequenceNumber < minSeq) minSeq = f.sequenceNumber;
  return {
    manifest_path: written.path,
    manifest_length: BigInt(written.length),
    partition_spec_id: source.partition_spec_id,
    content: 0,
    sequence_number: seq,
    min_sequence_number: minSeq,
    added_snapshot_id: snapshotId,
    added_files_count: 0,
    existing_files_count: as === 'existing' ? files.length : 0,
    deleted_files_count: as === 'deleted' ? files.length : 0,
    added_rows_count: 0n,
    existing_rows_count: as === 'existing' ? rows : 0n,
    deleted_rows_count: as === 'deleted' ? rows : 0n,
    partitions: source.partitions,
    key_metadata: null,
  };
}

/** Java's SnapshotSummary keys for a replace. */
function replaceTotals(
  added: DataFile[],
  removed: LiveDataFile[],
  live: LiveDataFile[],
  parent: Snapshot | undefined,
): Record<string, string> {
  const sum = (xs: number[]) => xs.reduce((n, x) => n + x, 0);
  const addedBytes = sum(added.map((f) => f.fileSizeInBytes));
  const removedBytes = sum(removed.map((f) => f.fileSizeInBytes));
  const parentSize = parent?.summary['total-files-size'];
  return {
    'added-data-files': String(added.length),
    'deleted-data-files': String(removed.length),
    'added-records': String(sum(added.map((f) => f.recordCount))),
    'deleted-records': String(sum(removed.map((f) => f.recordCount))),
    'added-files-size': String(addedBytes),
    'removed-files-size': String(removedBytes),
    'total-records': String(
      sum(live.map((f) => f.recordCount)) -
        sum(removed.map((f) => f.recordCount)) +
        sum(added.map((f) => f.recordCount)),
    ),
    'total-data-files': String(live.length - removed.length + added.length),
    'total-delete-files': '0',
    'total-position-deletes': '0',
    'total-equality-deletes': '0',
    ...(parentSize !== undefined && /^\d+$/.test(parentSize)
      ? { 'total-files-size': String(BigInt(parentSize) - BigInt(removedBytes) + BigInt(addedBytes)) }
      : {}),
  };
}
