/**
 * The REST commit model as pure functions: check a commit's requirements against the current
 * metadata, then apply its updates to a copy. Every catalog (filesystem, the REST test server)
 * commits through these, so they agree on what a commit means.
 */
import {
  CommitConflictError,
  InvalidUpdateError,
  type TableRequirement,
  type TableUpdate,
} from './catalog.js';
import { checkFieldIds, maxFieldId } from './field-ids.js';
import type { IcebergSchema, PartitionSpec, SortOrder, TableMetadata } from './metadata.js';
import { applySnapshotUpdate } from './snapshot-updates.js';

/** Throws CommitConflictError naming the first requirement that does not hold. */
export function checkRequirements(md: TableMetadata | undefined, requirements: TableRequirement[]): void {
  for (const r of requirements) {
    if (r.type === 'assert-create') {
      if (md) throw new CommitConflictError('requirement failed: table already exists');
      continue;
    }
    if (!md) throw new CommitConflictError(`requirement failed: ${r.type} on a table that does not exist`);
    const failed = requirementFailure(md, r);
    if (failed) throw new CommitConflictError(`requirement failed: ${failed}`);
  }
}

/** Why `r` does not hold for `md`, or undefined when it holds. */
function requirementFailure(md: TableMetadata, r: TableRequirement): string | undefined {
  const differs = (what: string, have: unknown, want: unknown) =>
    have === want ? undefined : `${what} is ${String(have ?? 'none')}, expected ${String(want ?? 'none')}`;
  switch (r.type) {
    case 'assert-table-uuid':
      return md['table-uuid'] === r.uuid ? undefined : `table uuid is ${md['table-uuid']}, not ${r.uuid}`;
    case 'assert-ref-snapshot-id': {
      const have = md.refs[r.ref]?.['snapshot-id'] ?? null;
      const want = r['snapshot-id'] === null ? null : BigInt(r['snapshot-id']);
      return have === want
        ? undefined
        : `branch ${r.ref} is at snapshot ${have ?? 'none'}, expected ${want ?? 'none'}`;
    }
    case 'assert-current-schema-id':
      return differs('current schema', md['current-schema-id'], r['current-schema-id']);
    case 'assert-last-assigned-field-id':
      return differs('last column id', md['last-column-id'], r['last-assigned-field-id']);
    case 'assert-last-assigned-partition-id':
      return differs('last partition id', md['last-partition-id'], r['last-assigned-partition-id']);
    case 'assert-default-spec-id':
      return differs('default spec', md['default-spec-id'], r['default-spec-id']);
    case 'assert-default-sort-order-id':
      return differs('default sort order', md['default-sort-order-id'], r['default-sort-order-id']);
    default:
      throw new InvalidUpdateError(`unsupported requirement ${(r as { type: string }).type}`);
  }
}

export interface ApplyOptions {
  now?: number;
  /** The metadata file being replaced, appended to `metadata-log`. */
  previousMetadataFile?: string;
}

export { InvalidUpdateError };

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
  const last: LastAdded = {};
  for (const u of updates) {
    if (!applySchemaUpdate(next, u, last) && !applySnapshotUpdate(next, u)) {
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

/** Ids added earlier in the same commit, which `-1` refers to. */
interface LastAdded {
  schema?: number;
  spec?: number;
  order?: number;
}

/** Table-level, schema, spec and sort-order updates; false when `u` is not one of them. */
function applySchemaUpdate(next: TableMetadata, u: TableUpdate, last: LastAdded): boolean {
  switch (u.action) {
    case 'assign-uuid':
      next['table-uuid'] = u.uuid;
      return true;
    case 'upgrade-format-version':
      if (u['format-version'] !== 2)
        throw new InvalidUpdateError(
          `upgrade-format-version: format version ${u['format-version']} is not supported (tables stay at 2)`,
        );
      return true;
    case 'add-schema':
      last.schema = addSchema(next, u.schema as IcebergSchema, u['last-column-id']);
      return true;
    case 'set-current-schema': {
      const id = u['schema-id'] === -1 ? last.schema : u['schema-id'];
      if (id === undefined || !next.schemas.some((x) => x['schema-id'] === id))
        throw new InvalidUpdateError(`set-current-schema: no schema ${u['schema-id']}`);
      next['current-schema-id'] = id;
      return true;
    }
    case 'remove-schemas':
      if (u['schema-ids'].includes(next['current-schema-id']))
        throw new InvalidUpdateError(`remove-schemas: schema ${next['current-schema-id']} is current`);
      next.schemas = next.schemas.filter((x) => !u['schema-ids'].includes(x['schema-id']));
      return true;
    case 'add-spec':
      last.spec = addSpec(next, u.spec as PartitionSpec);
      return true;
    case 'set-default-spec': {
      const id = u['spec-id'] === -1 ? last.spec : u['spec-id'];
      if (id === undefined || !next['partition-specs'].some((x) => x['spec-id'] === id))
        throw new InvalidUpdateError(`set-default-spec: no spec ${u['spec-id']}`);
      next['default-spec-id'] = id;
      return true;
    }
    case 'remove-partition-specs':
      if (u['spec-ids'].includes(next['default-spec-id']))
        throw new InvalidUpdateError(
          `remove-partition-specs: spec ${next['default-spec-id']} is the default`,
        );
      next['partition-specs'] = next['partition-specs'].filter((x) => !u['spec-ids'].includes(x['spec-id']));
      return true;
    case 'add-sort-order':
      last.order = addSortOrder(next, u['sort-order'] as SortOrder);
      return true;
    case 'set-default-sort-order': {
      const id = u['sort-order-id'] === -1 ? last.order : u['sort-order-id'];
      if (id === undefined || !next['sort-orders'].some((x) => x['order-id'] === id))
        throw new InvalidUpdateError(`set-default-sort-order: no sort order ${u['sort-order-id']}`);
      next['default-sort-order-id'] = id;
      return true;
    }
    case 'set-properties':
      next.properties = { ...next.properties, ...u.updates };
      return true;
    case 'remove-properties':
      next.properties = Object.fromEntries(
        Object.entries(next.properties).filter(([k]) => !u.removals.includes(k)),
      );
      return true;
    case 'set-location':
      next.location = u.location.replace(/\/+$/, '');
      return true;
    default:
      return false;
  }
}

/**
 * A new schema's id. Its field ids are checked over the whole nested schema and `last-column-id`
 * covers every one of them, whatever the client sent (pyiceberg sends no `last-column-id`).
 */
function addSchema(next: TableMetadata, s: IcebergSchema, lastColumnId: number | undefined): number {
  try {
    checkFieldIds(s);
  } catch (e) {
    throw new InvalidUpdateError(`add-schema: ${(e as Error).message}`);
  }
  next['last-column-id'] = Math.max(next['last-column-id'], lastColumnId ?? 0, maxFieldId(s));
  const same = next.schemas.find((x) => sameFields(x, s));
  if (same) return same['schema-id'];
  const id = Math.max(-1, ...next.schemas.map((x) => x['schema-id'])) + 1;
  next.schemas.push({ ...s, type: 'struct', 'schema-id': id });
  return id;
}

function addSpec(next: TableMetadata, s: PartitionSpec): number {
  const same = next['partition-specs'].find((x) => JSON.stringify(x.fields) === JSON.stringify(s.fields));
  if (same) return same['spec-id'];
  const id = Math.max(-1, ...next['partition-specs'].map((x) => x['spec-id'])) + 1;
  next['partition-specs'].push({ fields: s.fields, 'spec-id': id });
  next['last-partition-id'] = Math.max(next['last-partition-id'], ...s.fields.map((f) => f['field-id']));
  return id;
}

function addSortOrder(next: TableMetadata, o: SortOrder): number {
  const same = next['sort-orders'].find((x) => JSON.stringify(x.fields) === JSON.stringify(o.fields));
  if (same) return same['order-id'];
  const id = o.fields.length === 0 ? 0 : Math.max(0, ...next['sort-orders'].map((x) => x['order-id'])) + 1;
  next['sort-orders'].push({ fields: o.fields, 'order-id': id });
  return id;
}

function sameFields(a: IcebergSchema, b: IcebergSchema): boolean {
  const key = (s: IcebergSchema) => JSON.stringify(s.fields.map((f) => [f.id, f.name, f.required, f.type]));
  return key(a) === key(b);
}
