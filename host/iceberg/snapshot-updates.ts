/**
 * Commit updates that touch snapshots, refs and statistics files: add-snapshot,
 * set-snapshot-ref, remove-snapshots, remove-snapshot-ref and the statistics pairs. Removing
 * snapshots only edits metadata; deleting the files no retained snapshot references is the
 * expire command's job (expire.ts).
 */
import { CommitConflictError, InvalidUpdateError, type TableUpdate } from './catalog.js';
import { toBigInt } from './json.js';
import {
  normalizeSnapshot,
  type PartitionStatisticsFile,
  type StatisticsFile,
  type TableMetadata,
} from './metadata.js';

/** Applies `u` to `next` in place; false when `u` is not a snapshot/ref/statistics update. */
export function applySnapshotUpdate(next: TableMetadata, u: TableUpdate): boolean {
  switch (u.action) {
    case 'add-snapshot': {
      const s = normalizeSnapshot(u.snapshot);
      if (next.snapshots.some((x) => x['snapshot-id'] === s['snapshot-id']))
        throw new InvalidUpdateError(`add-snapshot: snapshot ${s['snapshot-id']} already exists`);
      // v2: sequence numbers only grow. A writer that read older metadata must rebase.
      if (s['sequence-number'] <= next['last-sequence-number'])
        throw new CommitConflictError(
          `add-snapshot: sequence number ${s['sequence-number']} is not after the table's ${next['last-sequence-number']}`,
        );
      next.snapshots.push(s);
      next['last-sequence-number'] = s['sequence-number'];
      return true;
    }
    case 'set-snapshot-ref':
      setRef(next, u);
      return true;
    case 'remove-snapshot-ref':
      delete next.refs[u['ref-name']];
      if (u['ref-name'] === 'main') delete next['current-snapshot-id'];
      return true;
    case 'remove-snapshots':
      removeSnapshots(
        next,
        new Set(u['snapshot-ids'].map((id) => toBigInt(id, 'remove-snapshots.snapshot-ids'))),
      );
      return true;
    case 'set-statistics': {
      const f = u.statistics as StatisticsFile;
      const id = toBigInt(f['snapshot-id'] ?? u['snapshot-id'], 'set-statistics.snapshot-id');
      const rest = (next.statistics ?? []).filter((x) => x['snapshot-id'] !== id);
      next.statistics = [...rest, { ...f, 'snapshot-id': id }];
      return true;
    }
    case 'remove-statistics': {
      const id = toBigInt(u['snapshot-id'], 'remove-statistics.snapshot-id');
      next.statistics = (next.statistics ?? []).filter((x) => x['snapshot-id'] !== id);
      return true;
    }
    case 'set-partition-statistics': {
      const f = u['partition-statistics'] as PartitionStatisticsFile;
      const id = toBigInt(f['snapshot-id'], 'set-partition-statistics.snapshot-id');
      const rest = (next['partition-statistics'] ?? []).filter((x) => x['snapshot-id'] !== id);
      next['partition-statistics'] = [...rest, { ...f, 'snapshot-id': id }];
      return true;
    }
    case 'remove-partition-statistics': {
      const id = toBigInt(u['snapshot-id'], 'remove-partition-statistics.snapshot-id');
      next['partition-statistics'] = (next['partition-statistics'] ?? []).filter(
        (x) => x['snapshot-id'] !== id,
      );
      return true;
    }
    default:
      return false;
  }
}

function setRef(next: TableMetadata, u: Extract<TableUpdate, { action: 'set-snapshot-ref' }>): void {
  const id = toBigInt(u['snapshot-id'], 'set-snapshot-ref.snapshot-id');
  const snap = next.snapshots.find((x) => x['snapshot-id'] === id);
  if (!snap) throw new InvalidUpdateError(`set-snapshot-ref: no snapshot ${id}`);
  const retention = Object.fromEntries(
    (['max-ref-age-ms', 'max-snapshot-age-ms', 'min-snapshots-to-keep'] as const)
      .filter((k) => u[k] !== undefined)
      .map((k) => [k, u[k]]),
  );
  next.refs[u['ref-name']] = { ...next.refs[u['ref-name']], ...retention, 'snapshot-id': id, type: u.type };
  if (u['ref-name'] === 'main') {
    next['current-snapshot-id'] = id;
    next['snapshot-log'].push({ 'snapshot-id': id, 'timestamp-ms': snap['timestamp-ms'] });
  }
}

/** Java's rule: refs to a removed snapshot go too; the log keeps only retained snapshots. */
function removeSnapshots(next: TableMetadata, ids: Set<bigint>): void {
  next.snapshots = next.snapshots.filter((s) => !ids.has(s['snapshot-id']));
  for (const [name, ref] of Object.entries(next.refs)) {
    if (ids.has(ref['snapshot-id'])) delete next.refs[name];
  }
  const cur = next['current-snapshot-id'];
  if (cur !== undefined && ids.has(cur)) delete next['current-snapshot-id'];
  next['snapshot-log'] = next['snapshot-log'].filter((e) => !ids.has(e['snapshot-id']));
  if (next.statistics) next.statistics = next.statistics.filter((x) => !ids.has(x['snapshot-id']));
  if (next['partition-statistics'])
    next['partition-statistics'] = next['partition-statistics'].filter((x) => !ids.has(x['snapshot-id']));
}
