/** Contract types → Arrow types (ARCHITECTURE §4), and the output schema of a run. */
import {
  Bool,
  type DataType,
  DateDay,
  Decimal,
  Field,
  Float64,
  Int64,
  Schema,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import type { ContractField, FieldType } from './model.js';

/** `utc` applies to timestamps only: true → timestamp(us, 'UTC'), false → naive timestamp(us). */
export function arrowType(type: FieldType, utc: boolean): DataType {
  switch (type.kind) {
    case 'string':
    case 'json':
      return new Utf8();
    case 'int64':
      return new Int64();
    case 'float64':
      return new Float64();
    case 'decimal':
      return new Decimal(type.scale, type.precision, 128);
    case 'bool':
      return new Bool();
    case 'date':
      return new DateDay();
    case 'timestamp':
      return new TimestampMicrosecond(utc ? 'UTC' : null);
  }
}

/**
 * Strict: contract columns only, required ones non-nullable. Warn: every column nullable, then the
 * pass-through extras as utf8 in their order of first appearance.
 */
export function outputSchema(
  fields: readonly ContractField[],
  utc: readonly boolean[],
  extras: readonly string[],
  mode: 'strict' | 'warn',
): Schema {
  const out = fields.map(
    (f, i) => new Field(f.name, arrowType(f.type, utc[i] ?? false), mode === 'warn' || !f.required),
  );
  for (const name of extras) out.push(new Field(name, new Utf8(), true));
  return new Schema(out);
}
