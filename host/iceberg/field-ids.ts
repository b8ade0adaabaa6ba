/**
 * Field ids over a whole schema. Iceberg gives every field an id — top-level columns, struct
 * members, list elements, map keys and values — and engines resolve columns by id, so an id used
 * twice corrupts the table for every reader. `last-column-id` must stay ≥ every id in every
 * schema, or the next added column reuses a nested field's id.
 */
import type { IcebergSchema, IcebergType, NestedField } from './schema-types.js';

/** Every field id of a type, depth first (a primitive has none of its own). */
export function idsOfType(t: IcebergType): number[] {
  if (typeof t === 'string') return [];
  switch (t.type) {
    case 'struct':
      return idsOfFields(t.fields);
    case 'list':
      return [t['element-id'], ...idsOfType(t.element)];
    case 'map':
      return [t['key-id'], ...idsOfType(t.key), t['value-id'], ...idsOfType(t.value)];
    default:
      return [];
  }
}

function idsOfFields(fields: readonly NestedField[]): number[] {
  return fields.flatMap((f) => [f.id, ...idsOfType(f.type)]);
}

/** Every field id of a schema, nested ones included. */
export function fieldIds(schema: Pick<IcebergSchema, 'fields'>): number[] {
  return idsOfFields(schema.fields);
}

/** The highest field id anywhere in the schema (0 for an empty schema). */
export function maxFieldId(schema: Pick<IcebergSchema, 'fields'>): number {
  return fieldIds(schema).reduce((m, id) => Math.max(m, id), 0);
}

/** Thrown for a schema whose ids repeat or are not positive integers. */
export class InvalidSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSchemaError';
  }
}

/** Throws InvalidSchemaError naming the first repeated or invalid id. */
export function checkFieldIds(schema: Pick<IcebergSchema, 'fields'>): void {
  const seen = new Set<number>();
  for (const id of fieldIds(schema)) {
    if (!Number.isInteger(id) || id < 1) throw new InvalidSchemaError(`invalid field id ${String(id)}`);
    if (seen.has(id)) throw new InvalidSchemaError(`field id ${id} is used more than once in the schema`);
    seen.add(id);
  }
}

/** True when the type is a primitive (a string such as `long` or `decimal(9, 2)`). */
export function isPrimitive(t: IcebergType): t is string {
  return typeof t === 'string';
}
