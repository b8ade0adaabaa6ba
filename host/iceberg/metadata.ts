/**
 * Iceberg v2 table metadata (the `vN.metadata.json` document): the model, parsing and writing.
 * Snapshot ids are `bigint` everywhere (see json.ts); other longs (sequence numbers, timestamps)
 * stay numbers, since they never pass 2^53.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { checkFieldIds, maxFieldId } from './field-ids.js';
import { type JsonValue, parseJson, stringifyJson, toBigInt } from './json.js';
import type { IcebergSchema } from './schema-types.js';

export type {
  IcebergSchema,
  IcebergType,
  ListType,
  MapType,
  NestedField,
  PrimitiveType,
  StructType,
} from './schema-types.js';

export interface PartitionField {
  'source-id': number;
  'field-id': number;
  name: string;
  transform: string;
}

export interface PartitionSpec {
  'spec-id': number;
  fields: PartitionField[];
}

export interface SortField {
  transform: string;
  'source-id': number;
  direction: 'asc' | 'desc';
  'null-order': 'nulls-first' | 'nulls-last';
}

export interface SortOrder {
  'order-id': number;
  fields: SortField[];
}

export interface Snapshot {
  'snapshot-id': bigint;
  'parent-snapshot-id'?: bigint;
  'sequence-number': number;
  'timestamp-ms': number;
  'manifest-list': string;
  summary: { operation: string } & Record<string, string>;
  'schema-id'?: number;
}

export interface SnapshotRef {
  'snapshot-id': bigint;
  type: 'branch' | 'tag';
  'max-ref-age-ms'?: number;
  'max-snapshot-age-ms'?: number;
  'min-snapshots-to-keep'?: number;
}

export interface TableMetadata {
  'format-version': 2;
  'table-uuid': string;
  location: string;
  'last-sequence-number': number;
  'last-updated-ms': number;
  'last-column-id': number;
  schemas: IcebergSchema[];
  'current-schema-id': number;
  'partition-specs': PartitionSpec[];
  'default-spec-id': number;
  'last-partition-id': number;
  properties: Record<string, string>;
  /** Absent (not -1) when the table has no snapshot. */
  'current-snapshot-id'?: bigint;
  snapshots: Snapshot[];
  'snapshot-log': { 'snapshot-id': bigint; 'timestamp-ms': number }[];
  'metadata-log': { 'metadata-file': string; 'timestamp-ms': number }[];
  'sort-orders': SortOrder[];
  'default-sort-order-id': number;
  refs: Record<string, SnapshotRef>;
  /** Table statistics files (Puffin), one per snapshot at most. */
  statistics?: StatisticsFile[];
  'partition-statistics'?: PartitionStatisticsFile[];
}

export interface StatisticsFile {
  'snapshot-id': bigint;
  'statistics-path': string;
  'file-size-in-bytes': number;
  'file-footer-size-in-bytes': number;
  'blob-metadata': unknown[];
}

export interface PartitionStatisticsFile {
  'snapshot-id': bigint;
  'statistics-path': string;
  'file-size-in-bytes': number;
}

/** Partition field ids start at 1000 (spec). */
export const FIRST_PARTITION_FIELD_ID = 1000;

export const UNSORTED_ORDER: SortOrder = { 'order-id': 0, fields: [] };

/** A fresh positive 63-bit snapshot id. */
export function newSnapshotId(): bigint {
  const b = randomBytes(8);
  const id = b.readBigUInt64BE(0) & 0x7fff_ffff_ffff_ffffn;
  return id === 0n ? 1n : id;
}

export interface NewTableInput {
  location: string;
  schema: IcebergSchema | Omit<IcebergSchema, 'schema-id'>;
  spec?: PartitionSpec | Omit<PartitionSpec, 'spec-id'>;
  sortOrder?: SortOrder;
  properties?: Record<string, string>;
  tableUuid?: string;
  now?: number;
}

/** Metadata of a new, empty table (schema id 0, spec id 0). */
export function newTableMetadata(input: NewTableInput): TableMetadata {
  const schema: IcebergSchema = { ...input.schema, 'schema-id': 0 };
  checkFieldIds(schema);
  const spec: PartitionSpec = { fields: input.spec?.fields ?? [], 'spec-id': 0 };
  const order = input.sortOrder ?? UNSORTED_ORDER;
  return {
    'format-version': 2,
    'table-uuid': input.tableUuid ?? randomUUID(),
    location: input.location.replace(/\/+$/, ''),
    'last-sequence-number': 0,
    'last-updated-ms': input.now ?? Date.now(),
    'last-column-id': maxFieldId(schema),
    schemas: [schema],
    'current-schema-id': 0,
    'partition-specs': [spec],
    'default-spec-id': 0,
    'last-partition-id': Math.max(FIRST_PARTITION_FIELD_ID - 1, ...spec.fields.map((f) => f['field-id'])),
    properties: { ...input.properties },
    snapshots: [],
    'snapshot-log': [],
    'metadata-log': [],
    'sort-orders': [order],
    'default-sort-order-id': order['order-id'],
    refs: {},
  };
}

/**
 * The base a create-by-commit (`assert-create`) applies its updates to: Java's `buildFromEmpty`.
 * `completeCreatedMetadata` then fills what the updates did not set.
 */
export function emptyTableMetadata(location: string, now = Date.now()): TableMetadata {
  return {
    ...newTableMetadata({ location, schema: { type: 'struct', fields: [] }, now }),
    schemas: [],
    'current-schema-id': -1,
    'partition-specs': [],
    'default-spec-id': -1,
    'sort-orders': [],
    'default-sort-order-id': -1,
  };
}

/** After a create-by-commit: an unpartitioned spec and no sort order unless the updates gave them. */
export function completeCreatedMetadata(md: TableMetadata): TableMetadata {
  if (md.schemas.length === 0 || md['current-schema-id'] < 0)
    throw new Error('a table created by commit needs add-schema and set-current-schema');
  const out = { ...md };
  if (out['partition-specs'].length === 0) {
    out['partition-specs'] = [{ 'spec-id': 0, fields: [] }];
    out['default-spec-id'] = 0;
  }
  if (out['sort-orders'].length === 0) {
    out['sort-orders'] = [UNSORTED_ORDER];
    out['default-sort-order-id'] = 0;
  }
  return out;
}

export function currentSchema(md: TableMetadata): IcebergSchema {
  const s = md.schemas.find((x) => x['schema-id'] === md['current-schema-id']);
  if (!s) throw new Error(`table metadata has no schema ${md['current-schema-id']}`);
  return s;
}

export function defaultSpec(md: TableMetadata): PartitionSpec {
  const s = md['partition-specs'].find((x) => x['spec-id'] === md['default-spec-id']);
  if (!s) throw new Error(`table metadata has no partition spec ${md['default-spec-id']}`);
  return s;
}

export function currentSnapshot(md: TableMetadata, ref = 'main'): Snapshot | undefined {
  const id = md.refs[ref]?.['snapshot-id'] ?? (ref === 'main' ? md['current-snapshot-id'] : undefined);
  return id === undefined ? undefined : md.snapshots.find((s) => s['snapshot-id'] === id);
}

/** Snapshots from `id` back through its parents (newest first). */
export function ancestors(md: TableMetadata, id: bigint | undefined): Snapshot[] {
  const byId = new Map(md.snapshots.map((s) => [s['snapshot-id'], s]));
  const out: Snapshot[] = [];
  let cur = id === undefined ? undefined : byId.get(id);
  while (cur) {
    out.push(cur);
    const p = cur['parent-snapshot-id'];
    cur = p === undefined ? undefined : byId.get(p);
  }
  return out;
}

// --- JSON ---------------------------------------------------------------------------------------

/** Parse a metadata.json document (v2; v1 fields are not read). Snapshot ids come back as bigint. */
export function parseTableMetadata(text: string): TableMetadata {
  return normalizeTableMetadata(parseJson(text));
}

/** Normalise a parsed JSON object (from our parser, or a REST response) into TableMetadata. */
export function normalizeTableMetadata(raw: JsonValue | unknown): TableMetadata {
  const o = raw as Record<string, unknown>;
  if (!o || typeof o !== 'object') throw new Error('table metadata is not an object');
  if (o['format-version'] !== 2) {
    throw new Error(`unsupported Iceberg format-version ${String(o['format-version'])} (only 2 is written)`);
  }
  const snapshots = ((o.snapshots as Record<string, unknown>[] | undefined) ?? []).map(normalizeSnapshot);
  const refs: Record<string, SnapshotRef> = {};
  for (const [k, r] of Object.entries((o.refs as Record<string, Record<string, unknown>>) ?? {})) {
    refs[k] = {
      ...(r as object),
      'snapshot-id': toBigInt(r['snapshot-id'], `refs.${k}.snapshot-id`),
    } as SnapshotRef;
  }
  const cur = o['current-snapshot-id'];
  const curId = cur === undefined || cur === null ? undefined : toBigInt(cur, 'current-snapshot-id');
  const md: TableMetadata = {
    ...(o as unknown as TableMetadata),
    'last-sequence-number': Number(o['last-sequence-number'] ?? 0),
    'last-updated-ms': Number(o['last-updated-ms'] ?? 0),
    properties: (o.properties as Record<string, string>) ?? {},
    snapshots,
    'snapshot-log': ((o['snapshot-log'] as Record<string, unknown>[] | undefined) ?? []).map((e) => ({
      'snapshot-id': toBigInt(e['snapshot-id'], 'snapshot-log.snapshot-id'),
      'timestamp-ms': Number(e['timestamp-ms']),
    })),
    'metadata-log': (o['metadata-log'] as TableMetadata['metadata-log']) ?? [],
    'sort-orders': (o['sort-orders'] as SortOrder[]) ?? [UNSORTED_ORDER],
    'default-sort-order-id': Number(o['default-sort-order-id'] ?? 0),
    refs,
  };
  const snapIdOf = (e: Record<string, unknown>, what: string) => ({
    ...e,
    'snapshot-id': toBigInt(e['snapshot-id'], `${what}.snapshot-id`),
  });
  if (Array.isArray(o.statistics))
    md.statistics = (o.statistics as Record<string, unknown>[]).map(
      (e) => snapIdOf(e, 'statistics') as unknown as StatisticsFile,
    );
  if (Array.isArray(o['partition-statistics']))
    md['partition-statistics'] = (o['partition-statistics'] as Record<string, unknown>[]).map(
      (e) => snapIdOf(e, 'partition-statistics') as unknown as PartitionStatisticsFile,
    );
  // -1 is how some writers say "no snapshot".
  if (curId === undefined || curId < 0n) delete md['current-snapshot-id'];
  else md['current-snapshot-id'] = curId;
  return md;
}

export function normalizeSnapshot(raw: unknown): Snapshot {
  const s = raw as Record<string, unknown>;
  const out = {
    ...(s as object),
    'snapshot-id': toBigInt(s['snapshot-id'], 'snapshot-id'),
    'sequence-number': Number(s['sequence-number'] ?? 0),
    'timestamp-ms': Number(s['timestamp-ms']),
  } as Snapshot;
  const p = s['parent-snapshot-id'];
  if (p === undefined || p === null) delete out['parent-snapshot-id'];
  else out['parent-snapshot-id'] = toBigInt(p, 'parent-snapshot-id');
  return out;
}

/** The metadata.json text, 64-bit ids as exact integer literals. */
export function serializeTableMetadata(md: TableMetadata): string {
  return `${stringifyJson(md, 2)}\n`;
}
