/**
 * The REST commit model as pure functions: check a commit's requirements against the current
 * metadata, then apply its updates to a copy. Every catalog (filesystem, the REST test server)
 * commits through these, so they agree on what a commit means.
 */
import { CommitConflictError, type TableRequirement, type TableUpdate } from './catalog.js';
import {
  type IcebergSchema,
  maxFieldId,
  normalizeSnapshot,
  type PartitionSpec,
  type SortOrder,
  type TableMetadata,
} from './metadata.js';

/** Throws CommitConflictError naming the first requirement that does not hold. */
export function checkRequirements(md: TableMetadata | undefined, requirements: TableRequirement[]): void {
  for (const r of requirements) {
    if (r.type === 'assert-create') {
      if (md) throw new CommitConflictError('requirement failed: table already exists');
      continue;
    }
    if (!md) throw new CommitConflictError(`requirement failed: ${r.type} on a table that does not exist`);
    switch (r.type) {
      case 'assert-table-uuid':
        if (md['table-uuid'] !== r.uuid)
          throw new CommitConflictError(
            `requirement failed: table uuid is ${md['table-uuid']}, not ${r.uuid}`,
          );
        break;
      case 'assert-ref-snapshot-id': {
        const have = md.refs[r.ref]?.['snapshot-id'] ?? null;
        const want = r['snapshot-id'] === null ? null : BigInt(r['snapshot-id']);
        if (have !== want)
          throw new CommitConflictError(
            `requirement failed: branch ${r.ref} is at snapshot ${have ?? 'none'}, expected ${want ?? 'none'}`,
          );
        break;
      }
      case 'assert-current-schema-id':
        if (md['current-schema-id'] !== r['current-schema-id'])
          throw new CommitConflictError(
            `requirement failed: current schema is ${md['current-schema-id']}, expected ${r['current-schema-id']}`,
          );
        break;
      case 'assert-last-assigned-field-id':
        if (md['last-column-id'] !== r['last-assigned-field-id'])
          throw new CommitConflictError(
            `requirement failed: last column id is ${md['last-column-id']}, expected ${r['last-assigned-field-id']}`,
          );
        break;
      case 'assert-default-spec-id':
        if (md['default-spec-id'] !== r['default-spec-id'])
          throw new CommitConflictError(
            `requirement failed: default spec is ${md['default-spec-id']}, expected ${r['default-spec-id']}`,
          );
        break;
      default:
        throw new CommitConflictError(`unsupported requirement ${(r as { type: string }).type}`);
    }
  }
}

export interface ApplyOptions {
  now?: number;
  /** The metadata file being replaced, appended to `metadata-log`. */
  previousMetadataFile?: string;
}

/** A bad update (not a conflict: retrying cannot help). */
export class InvalidUpdateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidUpdateError';
  }
}

/**
 * Check `requirements`, then apply `updates` to a copy of `md`. Pure: `md` is not modified.
 * Throws CommitConflictError (requirements) or InvalidUpdateError (updates).
 */
export function applyUpdates(
  md: TableMetadata,
  requirements: TableRequirement[],
  updates: TableUpdate[],
  opts: ApplyOptions = {},
): TableMetadata {
  checkRequirements(md, requirements);
  const now = opts.now ?? Date.now();
  const next: TableMetadata = structuredClone(md);
  let lastSchemaId: number | undefined;
  let lastSpecId: number | undefined;
  let lastOrderId: number | undefined;

  for (const u of updates) {
    switch (u.action) {
      case 'add-schema': {
        const s = u.schema as IcebergSchema;
        const same = next.schemas.find((x) => sameFields(x, s));
        if (same) {
          lastSchemaId = same['schema-id'];
          break;
        }
        const id = Math.max(-1, ...next.schemas.map((x) => x['schema-id'])) + 1;
        next.schemas.push({ ...s, type: 'struct', 'schema-id': id });
        next['last-column-id'] = Math.max(next['last-column-id'], u['last-column-id'] ?? 0, maxFieldId(s));
        lastSchemaId = id;
        break;
      }
      case 'set-current-schema': {
        const id = u['schema-id'] === -1 ? lastSchemaId : u['schema-id'];
        if (id === undefined || !next.schemas.some((x) => x['schema-id'] === id))
          throw new InvalidUpdateError(`set-current-schema: no schema ${u['schema-id']}`);
        next['current-schema-id'] = id;
        break;
      }
      case 'add-spec': {
        const s = u.spec as PartitionSpec;
        const same = next['partition-specs'].find(
          (x) => JSON.stringify(x.fields) === JSON.stringify(s.fields),
        );
        if (same) {
          lastSpecId = same['spec-id'];
          break;
        }
        const id = Math.max(-1, ...next['partition-specs'].map((x) => x['spec-id'])) + 1;
        next['partition-specs'].push({ fields: s.fields, 'spec-id': id });
        next['last-partition-id'] = Math.max(
          next['last-partition-id'],
          ...s.fields.map((f) => f['field-id']),
        );
        lastSpecId = id;
        break;
      }
      case 'set-default-spec': {
        const id = u['spec-id'] === -1 ? lastSpecId : u['spec-id'];
        if (id === undefined || !next['partition-specs'].some((x) => x['spec-id'] === id))
          throw new InvalidUpdateError(`set-default-spec: no spec ${u['spec-id']}`);
        next['default-spec-id'] = id;
        break;
      }
      case 'add-sort-order': {
        const o = u['sort-order'] as SortOrder;
        const same = next['sort-orders'].find((x) => JSON.stringify(x.fields) === JSON.stringify(o.fields));
        if (same) {
          lastOrderId = same['order-id'];
          break;
        }
        const id =
          o.fields.length === 0 ? 0 : Math.max(0, ...next['sort-orders'].map((x) => x['order-id'])) + 1;
        next['sort-orders'].push({ fields: o.fields, 'order-id': id });
        lastOrderId = id;
        break;
      }
      case 'set-default-sort-order': {
        const id = u['sort-order-id'] === -1 ? lastOrderId : u['sort-order-id'];
        if (id === undefined || !next['sort-orders'].some((x) => x['order-id'] === id))
          throw new InvalidUpdateError(`set-default-sort-order: no sort order ${u['sort-order-id']}`);
        next['default-sort-order-id'] = id;
        break;
      }
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
        break;
      }
      case 'set-snapshot-ref': {
        const id = BigInt(u['snapshot-id']);
        const snap = next.snapshots.find((x) => x['snapshot-id'] === id);
        if (!snap) throw new InvalidUpdateError(`set-snapshot-ref: no snapshot ${id}`);
        next.refs[u['ref-name']] = { ...next.refs[u['ref-name']], 'snapshot-id': id, type: u.type };
        if (u['ref-name'] === 'main') {
          next['current-snapshot-id'] = id;
          next['snapshot-log'].push({ 'snapshot-id': id, 'timestamp-ms': snap['timestamp-ms'] });
        }
        break;
      }
      case 'set-properties':
        next.properties = { ...next.properties, ...u.updates };
        break;
      case 'set-location':
        next.location = u.location.replace(/\/+$/, '');
        break;
      default:
        throw new InvalidUpdateError(`unsupported update ${(u as { action: string }).action}`);
    }
  }
  if (opts.previousMetadataFile) {
    next['metadata-log'].push({
      'metadata-file': opts.previousMetadataFile,
      'timestamp-ms': md['last-updated-ms'],
    });
  }
  next['last-updated-ms'] = Math.max(now, md['last-updated-ms']);
  return next;
}

function sameFields(a: IcebergSchema, b: IcebergSchema): boolean {
  const key = (s: IcebergSchema) => JSON.stringify(s.fields.map((f) => [f.id, f.name, f.required, f.type]));
  return key(a) === key(b);
}
