/**
 * The table schema a run writes with: the data's Arrow schema matched to the table's Iceberg
 * schema by name, so a column keeps its field id forever. A new column gets the next id and is
 * added as optional (Iceberg cannot add a required column to a table that has rows); a type change
 * or a required column the data no longer has is an error that names the column.
 */
import type { Schema as ArrowSchema } from 'apache-arrow';
import { DativoError } from '../errors.js';
import { isPrimitive } from './field-ids.js';
import type { IcebergSchema, IcebergType, NestedField, PartitionField, PartitionSpec } from './metadata.js';
import { FIRST_PARTITION_FIELD_ID } from './metadata.js';
import {
  checkTransform,
  parseTransform,
  resultType,
  type Transform,
  transformToString,
} from './transforms.js';
import { icebergTypeOfArrow } from './values.js';

export interface WriteSchema {
  /** The schema the data files are written with (the table's, possibly with new columns). */
  schema: IcebergSchema;
  /** Column name → field id and Iceberg type, for every column of the data. */
  columns: Map<string, { id: number; type: string }>;
  /** Names of the columns this run adds to the table. */
  added: string[];
  /** Required table columns the data makes optional (a permitted evolution). */
  relaxed: string[];
  /** True when the table's schema must change (added or relaxed columns). */
  evolves: boolean;
  /** Columns written with the table's timestamp type instead of the data's (zone drift). */
  retyped: string[];
}

export interface WriteSchemaOptions {
  /**
   * True when the contract states the column's zone (physicalType `timestamptz`/`timestamp_ntz`),
   * false when the zone is detected from the data (`timestamp`, utc auto) and may drift by run.
   */
  zoneDeclared?: (column: string) => boolean;
}

const TIMESTAMPS = new Set(['timestamp', 'timestamptz']);

/** The Iceberg schema of a first write: ids 1..n in the data's column order. */
export function initialSchema(arrow: ArrowSchema): IcebergSchema {
  return {
    type: 'struct',
    'schema-id': 0,
    fields: arrow.fields.map((f, i) => ({
      id: i + 1,
      name: f.name,
      required: !f.nullable,
      type: icebergType(f),
    })),
  };
}

function icebergType(f: ArrowSchema['fields'][number]): string {
  const t = icebergTypeOfArrow(f.type);
  if (!t) {
    throw new DativoError(
      'WRITE_FAILED',
      `column ${f.name}: Iceberg has no type for Arrow ${String(f.type)}`,
      {
        location: { field: f.name },
      },
    );
  }
  return t;
}

/** Match the data to `table` (current schema, last assigned column id). */
export function writeSchemaFor(
  arrow: ArrowSchema,
  table: IcebergSchema,
  lastColumnId: number,
  tableName: string,
  opts: WriteSchemaOptions = {},
): WriteSchema {
  const byName = new Map(table.fields.map((f) => [f.name, f]));
  const dataNames = new Set(arrow.fields.map((f) => f.name));
  const columns = new Map<string, { id: number; type: string }>();
  const added: string[] = [];
  const relaxed: string[] = [];
  const retyped: string[] = [];
  const fields: NestedField[] = table.fields.map((f) => ({ ...f }));
  let next = lastColumnId;

  for (const f of table.fields) {
    if (f.required && !dataNames.has(f.name)) {
      throw new DativoError(
        'WRITE_FAILED',
        `column ${f.name} is required in Iceberg table ${tableName} but the data has no such column; a required column cannot be dropped`,
        { location: { field: f.name } },
      );
    }
  }
  for (const af of arrow.fields) {
    const type = icebergType(af);
    const have = byName.get(af.name);
    if (!have) {
      next += 1;
      fields.push({ id: next, name: af.name, required: false, type });
      columns.set(af.name, { id: next, type });
      added.push(af.name);
      continue;
    }
    if (isPrimitive(have.type) && TIMESTAMPS.has(have.type) && TIMESTAMPS.has(type) && have.type !== type) {
      // Both are microseconds since the epoch: the values keep their instant, written with the
      // table's type. Only a zone the contract states is a real change, which Iceberg cannot make.
      if (opts.zoneDeclared?.(af.name) ?? true) throw timestampChange(af.name, type, have.type, tableName);
      retyped.push(af.name);
    } else if (!isPrimitive(have.type) || normalizeType(have.type) !== normalizeType(type)) {
      throw new DativoError(
        'WRITE_FAILED',
        `column ${af.name} has type ${type} in the data but ${typeText(have.type)} in Iceberg table ${tableName}; changing a column's type is not supported`,
        { location: { field: af.name } },
      );
    }
    if (have.required && af.nullable) {
      const i = fields.findIndex((x) => x.id === have.id);
      fields[i] = { ...have, required: false };
      relaxed.push(af.name);
    }
    columns.set(af.name, { id: have.id, type: have.type as string });
  }
  const evolves = added.length > 0 || relaxed.length > 0;
  return { schema: evolves ? { ...table, fields } : table, columns, added, relaxed, evolves, retyped };
}

function timestampChange(column: string, data: string, table: string, tableName: string): DativoError {
  const physical = table === 'timestamptz' ? 'timestamptz' : 'timestamp_ntz';
  return new DativoError(
    'WRITE_FAILED',
    `column ${column} is ${data} in the contract but ${table} in Iceberg table ${tableName}; Iceberg cannot change a column between timestamp and timestamptz. ` +
      `To keep writing to this table, declare the field with physicalType ${physical} (or logicalType timestamp, to follow the table); ` +
      'to change the type, write to a new table (target.config.table) and move the rows, or drop the table and reload',
    { location: { field: column } },
  );
}

const normalizeType = (t: string) => t.replace(/\s+/g, '').toLowerCase();

/** A type for messages: the primitive's name, or struct/list/map. */
function typeText(t: IcebergType): string {
  return isPrimitive(t) ? t : t.type;
}

/**
 * `target.partitioning` entries as Iceberg partition fields. An entry is a column (identity) or a
 * transform in Spark's DDL form: `day(ts)`/`days(ts)`, `month(ts)`, `year(ts)`, `hour(ts)`,
 * `bucket(16, id)`, `truncate(4, name)`. `ingest_date` (the recipe's default) is skipped when the
 * data has no such column: Iceberg partitions derive from columns, and adding one would change
 * the rows.
 */
export function partitionSpecFor(
  entries: readonly string[],
  schema: IcebergSchema,
): { spec: Omit<PartitionSpec, 'spec-id'>; skipped: string[] } {
  const fields: PartitionField[] = [];
  const skipped: string[] = [];
  let nextId = FIRST_PARTITION_FIELD_ID;
  for (const raw of entries) {
    const { column, transform } = parsePartitionEntry(raw);
    const src = schema.fields.find((f) => f.name === column);
    if (!src) {
      if (column === 'ingest_date' && transform.kind === 'identity') {
        skipped.push(raw);
        continue;
      }
      throw new DativoError('CONFIG_INVALID', `partition ${raw}: ${column} is not a column of the data`, {
        location: { keyPath: 'target.partitioning' },
      });
    }
    try {
      if (!isPrimitive(src.type))
        throw new Error(`${column} is a ${src.type.type}; only primitive columns partition`);
      checkTransform(transform, src.type);
    } catch (e) {
      throw new DativoError('CONFIG_INVALID', `partition ${raw}: ${(e as Error).message}`, {
        location: { keyPath: 'target.partitioning' },
      });
    }
    fields.push({
      'source-id': src.id,
      'field-id': nextId++,
      name: partitionFieldName(column, transform),
      transform: transformToString(transform),
    });
  }
  return { spec: { fields }, skipped };
}

export function parsePartitionEntry(raw: string): { column: string; transform: Transform } {
  const s = raw.trim();
  const m = /^([a-z_]+)\s*\(\s*(?:(\d+)\s*,\s*)?([^()]+?)\s*\)$/i.exec(s);
  if (!m) return { column: s, transform: { kind: 'identity' } };
  const name = (m[1] as string).toLowerCase().replace(/s$/, ''); // days → day, years → year
  const arg = m[2];
  const column = m[3] as string;
  try {
    const t = arg !== undefined ? parseTransform(`${name}[${arg}]`) : parseTransform(name);
    return { column, transform: t };
  } catch (e) {
    throw new DativoError('CONFIG_INVALID', `partition ${raw}: ${(e as Error).message}`, {
      location: { keyPath: 'target.partitioning' },
    });
  }
}

/** Java's default partition field names. */
function partitionFieldName(column: string, t: Transform): string {
  switch (t.kind) {
    case 'identity':
      return column;
    case 'bucket':
      return `${column}_bucket`;
    case 'truncate':
      return `${column}_trunc`;
    default:
      return `${column}_${t.kind}`;
  }
}

/** The result types of a spec's fields (for the manifest's `partition` struct). */
export function partitionTypes(spec: PartitionSpec, schema: IcebergSchema) {
  return spec.fields.map((f) => {
    const src = schema.fields.find((x) => x.id === f['source-id']);
    if (!src) throw new Error(`partition field ${f.name} refers to a missing column ${f['source-id']}`);
    if (!isPrimitive(src.type)) throw new Error(`partition field ${f.name} has a nested source column`);
    const transform = parseTransform(f.transform);
    return {
      name: f.name,
      fieldId: f['field-id'],
      type: resultType(transform, src.type),
      transform,
      source: { ...src, type: src.type },
    };
  });
}
