/**
 * JSON records → an Arrow batch of utf8 columns named as the contract names them. API sources hand
 * the contract layer text, like CSV does, so one set of coercion rules (and one set of error
 * messages) applies to every untyped source. Values are rendered the way a user would write them
 * in a CSV cell: strings as they are, numbers and booleans printed, objects and arrays as JSON.
 */
import { Field, makeData, RecordBatch, Schema, Struct, Utf8 } from 'apache-arrow';
import { fromStrings, textToUtf8 } from '../../contract/text-column.js';

export type JsonRecord = Record<string, unknown>;

export function cellText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

export function recordsToTextBatch(records: readonly JsonRecord[], columns: readonly string[]): RecordBatch {
  const fields = columns.map((name) => new Field(name, new Utf8(), true));
  const children = columns.map((name) => textToUtf8(fromStrings(records.map((r) => cellText(r[name])))));
  const schema = new Schema(fields);
  const data = makeData({ type: new Struct(fields), length: records.length, nullCount: 0, children });
  return new RecordBatch(schema, data);
}
