/**
 * Snapshot expiry: remove the snapshots older than a cutoff, except the newest `retainLast` of
 * main's history and every snapshot a branch or tag points at, in one conditional commit
 * (`remove-snapshots`, main must not move meanwhile); then delete the manifest lists, manifests
 * and data files that no retained snapshot references. Files are deleted only after the commit,
 * so a failed commit deletes nothing.
 */
import { type Catalog, CommitConflictError, type TableIdent } from './catalog.js';
import type { FileIO } from './io.js';
import { readManifest, readManifestList } from './manifest.js';
import { ancestors, currentSnapshot, type Snapshot, type TableMetadata } from './metadata.js';

export interface ExpireRequest {
  catalog: Catalog;
  ident: TableIdent;
  io: FileIO;
  /** Snapshots committed before this time (ms since epoch) may go. */
  olderThanMs: number;
  /** The newest snapshots of main kept whatever their age (≥ 1). */
  retainLast: number;
  /** Attempts when another writer commits meanwhile (default 3). */
  maxAttempts?: number;
}

export interface ExpireResult {
  removedSnapshots: bigint[];
  deletedFiles: number;
}

/** The snapshots `expireSnapshots` would remove from `md`. */
export function snapshotsToExpire(md: TableMetadata, olderThanMs: number, retainLast: number): Snapshot[] {
  const keep = new Set<bigint>();
  for (const s of ancestors(md, currentSnapshot(md)?.['snapshot-id']).slice(0, Math.max(1, retainLast)))
    keep.add(s['snapshot-id']);
  for (const ref of Object.values(md.refs)) keep.add(ref['snapshot-id']);
  return md.snapshots.filter((s) => !keep.has(s['snapshot-id']) && s['timestamp-ms'] < olderThanMs);
}

export async function expireSnapshots(req: ExpireRequest): Promise<ExpireResult> {
  const name = [...req.ident.namespace, req.ident.name].join('.');
  for (let attempt = 1; ; attempt++) {
    const table = await req.catalog.loadTable(req.ident);
    if (!table) throw new Error(`table ${name} does not exist`);
    const md = table.metadata;
    const expired = snapshotsToExpire(md, req.olderThanMs, req.retainLast);
    if (expired.length === 0) return { removedSnapshots: [], deletedFiles: 0 };
    const ids = expired.map((s) => s['snapshot-id']);
    try {
      const committed = await req.catalog.commitTable(
        req.ident,
        [
          { type: 'assert-table-uuid', uuid: md['table-uuid'] },
          {
            type: 'assert-ref-snapshot-id',
            ref: 'main',
            'snapshot-id': md.refs.main?.['snapshot-id'] ?? null,
          },
        ],
        [{ action: 'remove-snapshots', 'snapshot-ids': ids }],
      );
      const deletedFiles = await deleteUnreferenced(req.io, expired, committed.metadata.snapshots);
      return { removedSnapshots: ids, deletedFiles };
    } catch (e) {
      if (!(e instanceof CommitConflictError) || attempt >= (req.maxAttempts ?? 3)) throw e;
    }
  }
}

/** Every file a snapshot references: its manifest list, manifests and data files. */
async function filesOf(io: FileIO, snapshots: Snapshot[]): Promise<Set<string>> {
  const out = new Set<string>();
  const seenManifests = new Set<string>();
  for (const s of snapshots) {
    out.add(s['manifest-list']);
    const list = await io.read(s['manifest-list']);
    if (!list) continue;
    for (const m of readManifestList(list)) {
      out.add(m.manifest_path);
      if (seenManifests.has(m.manifest_path)) continue;
      seenManifests.add(m.manifest_path);
      const bytes = await io.read(m.manifest_path);
      if (!bytes) continue;
      for (const e of readManifest(bytes).entries) {
        const df = e.data_file as { file_path?: string } | undefined;
        if (df?.file_path) out.add(df.file_path);
      }
    }
  }
  return out;
}

async function deleteUnreferenced(io: FileIO, expired: Snapshot[], retained: Snapshot[]): Promise<number> {
  const live = await filesOf(io, retained);
  const candidates = await filesOf(io, expired);
  let n = 0;
  for (const f of candidates) {
    if (live.has(f)) continue;
    await io.delete(f);
    n++;
  }
  return n;
}
