/**
 * Does a plugin's batch match the schema it declares (the contract of its stream)? Column names,
 * Arrow types (architecture §4: integer → int64, … timestamp → timestamp(us)) and nullability
 * (a required column holds no null). The first mismatch is reported with the batch, the column
 * and, for a null, the row, so `dativo plugin test` can stop on it.
 */
import type { DataType, RecordBatch, Schema } from 'apache-arrow';
import type { ContractField } from '../contract/model.js';
import { arrowType } from '../contract/schema.js';

export interface SchemaMismatch {
  /** 1-based batch number. */
  batch: number;
  column: string;
  /** 0-based row inside the batch, for null violations. */
  row?: number;
  message: string;
}

/** The Arrow types a contract field may arrive as (a flat-form timestamp may be naive or UTC). */
export function acceptedTypes(field: ContractField): string[] {
  if (field.type.kind === 'timestamp' && field.type.utc === 'auto') {
    return [String(arrowType(field.type, false)), String(arrowType(field.type, true))];
  }
  return [String(arrowType(field.type, field.type.kind === 'timestamp' && field.type.utc === true))];
}

/** arrow-js names, except decimals (`Decimal[10e+2]` reads as a number). */
function pretty(name: string): string {
  return name.replace(/^Decimal\[(\d+)e\+?(-?\d+)\]$/, 'Decimal128($1, $2)');
}

function typeName(t: DataType): string {
  return pretty(String(t));
}

function firstNull(batch: RecordBatch, index: number): number | undefined {
  const col = batch.getChildAt(index);
  if (!col || col.nullCount === 0) return undefined;
  for (let i = 0; i < col.length; i++) if (!col.isValid(i)) return i;
  return undefined;
}

/** Check one batch against contract fields; undefined when it matches. */
export function checkBatchAgainstContract(
  batch: RecordBatch,
  fields: readonly ContractField[],
  batchNo: number,
): SchemaMismatch | undefined {
  const byName = new Map(batch.schema.fields.map((f, i) => [f.name, i]));
  for (const field of fields) {
    const i = byName.get(field.name);
    if (i === undefined) {
      return {
        batch: batchNo,
        column: field.name,
        message: `batch ${batchNo}: column "${field.name}" (${field.typeName}) is missing; the batch has ${[...byName.keys()].join(', ') || 'no columns'}`,
      };
    }
    const actual = String(batch.schema.fields[i]!.type);
    const accepted = acceptedTypes(field);
    if (!accepted.includes(actual)) {
      return {
        batch: batchNo,
        column: field.name,
        message: `batch ${batchNo}: column "${field.name}" is ${pretty(actual)}, the contract's ${field.typeName} needs ${accepted.map(pretty).join(' or ')}`,
      };
    }
    if (field.required) {
      const row = firstNull(batch, i);
      if (row !== undefined) {
        return {
          batch: batchNo,
          column: field.name,
          row,
          message: `batch ${batchNo}, row ${row}: column "${field.name}" is null, but the contract says it is required`,
        };
      }
    }
  }
  const known = new Set(fields.map((f) => f.name));
  const extra = batch.schema.fields.find((f) => !known.has(f.name));
  if (extra) {
    return {
      batch: batchNo,
      column: extra.name,
      message: `batch ${batchNo}: column "${extra.name}" (${typeName(extra.type)}) is not in the contract`,
    };
  }
  return undefined;
}

/** Without a contract: every batch must have the first batch's schema. */
export function checkBatchAgainstSchema(
  batch: RecordBatch,
  expected: Schema,
  batchNo: number,
): SchemaMismatch | undefined {
  const want = expected.fields.map((f) => `${f.name}: ${typeName(f.type)}`);
  const got = batch.schema.fields.map((f) => `${f.name}: ${typeName(f.type)}`);
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    if (want[i] !== got[i]) {
      return {
        batch: batchNo,
        column: (batch.schema.fields[i] ?? expected.fields[i])?.name ?? `#${i}`,
        message: `batch ${batchNo}: schema changed from batch 1: column ${i + 1} is ${got[i] ?? 'missing'}, was ${want[i] ?? 'absent'}`,
      };
    }
  }
  return undefined;
}
