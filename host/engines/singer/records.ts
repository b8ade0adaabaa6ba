/**
 * JSON records (Singer RECORD / Airbyte RECORD payloads) → one Arrow batch, shaped by the contract.
 *
 * A column is typed when JSON itself carries the type: integers → int64, numbers → float64,
 * booleans → bool, strings → utf8, objects and arrays → utf8 holding JSON. Decimal, date and
 * timestamp have no JSON type (taps send them as strings or numbers), so those columns go out as
 * text and the contract layer parses them, the same parser CSV uses; so does any column whose
 * values in this batch do not all have the contract's JSON type (the validator then names the bad
 * cell instead of this code guessing). Keys the contract does not name follow as text columns in
 * order of first appearance, for warn mode's pass-through.
 */
import {
  Bool,
  type DataType,
  Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import type { ContractField } from '../../contract/model.js';

type Rec = Record<string, unknown>;

/** Text of a JSON value for a text column: strings as they are, anything else as JSON. */
function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function textColumn(values: unknown[]): Vector {
  return vectorFromArray(values.map(text), new Utf8());
}

function jsonColumn(values: unknown[]): Vector {
  return vectorFromArray(
    values.map((v) => (v === null || v === undefined ? null : JSON.stringify(v))),
    new Utf8(),
  );
}

const isNullish = (v: unknown): boolean => v === null || v === undefined;

function typedColumn(field: ContractField, values: unknown[]): Vector {
  switch (field.type.kind) {
    case 'int64':
      if (values.every((v) => isNullish(v) || Number.isSafeInteger(v)))
        return vectorFromArray(
          values.map((v) => (isNullish(v) ? null : BigInt(v as number))),
          new Int64(),
        );
      return textColumn(values);
    case 'float64':
      if (values.every((v) => isNullish(v) || typeof v === 'number'))
        return vectorFromArray(values as (number | null)[], new Float64());
      return textColumn(values);
    case 'bool':
      if (values.every((v) => isNullish(v) || typeof v === 'boolean'))
        return vectorFromArray(values as (boolean | null)[], new Bool());
      return textColumn(values);
    case 'json':
      return jsonColumn(values);
    default:
      // string, and decimal/date/timestamp parsed by the contract layer
      return textColumn(values);
  }
}

/** Column values of `key` across the records (undefined when a record lacks it). */
function pluck(records: readonly Rec[], key: string): unknown[] {
  const out = new Array<unknown>(records.length);
  for (let i = 0; i < records.length; i++) out[i] = (records[i] as Rec)[key];
  return out;
}

export function recordsToBatch(records: readonly Rec[], fields: readonly ContractField[]): RecordBatch {
  const names = new Set(fields.map((f) => f.name));
  const extras: string[] = [];
  const seen = new Set<string>();
  for (const r of records)
    for (const k of Object.keys(r))
      if (!names.has(k) && !seen.has(k)) {
        seen.add(k);
        extras.push(k);
      }
  const columns: [string, Vector][] = fields.map((f) => [f.name, typedColumn(f, pluck(records, f.name))]);
  for (const k of extras) columns.push([k, textColumn(pluck(records, k))]);
  const schema = new Schema(columns.map(([name, v]) => new Field(name, v.type as DataType, true)));
  const children = columns.map(([, v]) => v.data[0] ?? makeData({ type: v.type, length: 0 }));
  const data = makeData({ type: new Struct(schema.fields), length: records.length, nullCount: 0, children });
  return new RecordBatch(schema, data);
}
