/**
 * JSON values (Airbyte and Singer RECORD payloads) → Arrow columns shaped by the contract, built
 * straight into Arrow buffers: apache-arrow's generic builders (vectorFromArray) cost more than
 * JSON.parse per value and dominated the engines' profile.
 *
 * A column is typed when JSON itself carries the type: integers → int64, numbers → float64,
 * booleans → bool, and the validator reuses it as is. Decimal, date and timestamp have no JSON type
 * (connectors send strings or numbers), so those columns go out as text and the contract layer
 * parses them with the parser CSV uses; so does any column whose values in this batch do not all
 * have the contract's JSON type (the validator then names the bad cell instead of this code
 * guessing). `json` columns hold each value as JSON text; other nested values become JSON text too.
 */
import {
  Bool,
  type Data,
  type DataType,
  Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
} from 'apache-arrow';
import type { ContractField, FieldType } from '../../contract/model.js';

export function buildColumn(values: unknown[], type: FieldType | undefined): Data {
  switch (type?.kind) {
    case 'int64':
      if (values.every((v) => v === null || (typeof v === 'number' && Number.isSafeInteger(v)))) {
        const out = new BigInt64Array(values.length);
        values.forEach((v, i) => {
          if (v !== null) out[i] = BigInt(v as number);
        });
        return fixed(new Int64(), values, out);
      }
      break;
    case 'float64':
      if (values.every((v) => v === null || typeof v === 'number')) {
        const out = new Float64Array(values.length);
        values.forEach((v, i) => {
          if (v !== null) out[i] = v as number;
        });
        return fixed(new Float64(), values, out);
      }
      break;
    case 'bool':
      if (values.every((v) => v === null || typeof v === 'boolean')) {
        const out = new Uint8Array((values.length + 7) >> 3);
        values.forEach((v, i) => {
          if (v === true) out[i >> 3] = (out[i >> 3] as number) | (1 << (i & 7));
        });
        return fixed(new Bool(), values, out);
      }
      break;
    case 'json':
      return utf8(values.map((v) => (v === null || v === undefined ? null : JSON.stringify(v))));
  }
  return utf8(values);
}

/** The validity bitmap (1 = present) and null count of a column. */
function validity(values: unknown[]): { nullBitmap?: Uint8Array; nullCount: number } {
  let nullCount = 0;
  for (const v of values) if (v === null || v === undefined) nullCount++;
  if (nullCount === 0) return { nullCount };
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  values.forEach((v, i) => {
    if (v !== null && v !== undefined) bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
  });
  return { nullBitmap: bitmap, nullCount };
}

function fixed(
  type: Int64 | Float64 | Bool,
  values: unknown[],
  data: BigInt64Array | Float64Array | Uint8Array,
): Data {
  const { nullBitmap, nullCount } = validity(values);
  return makeData({ type, length: values.length, nullCount, nullBitmap, data } as never) as Data;
}

/** Text column: one UTF-8 encode of all values joined, offsets from each value's byte length. */
function utf8(values: unknown[]): Data {
  const texts = values.map(asText);
  const offsets = new Int32Array(texts.length + 1);
  let pos = 0;
  texts.forEach((t, i) => {
    if (t !== null) pos += Buffer.byteLength(t, 'utf8');
    offsets[i + 1] = pos;
  });
  const bytes = Buffer.from(texts.join(''), 'utf8');
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { nullBitmap, nullCount } = validity(texts);
  return makeData({
    type: new Utf8(),
    length: texts.length,
    nullCount,
    nullBitmap,
    valueOffsets: offsets,
    data,
  }) as Data;
}

function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

type Rec = Record<string, unknown>;

/**
 * Records → one batch: the contract's columns first, then keys the contract does not name as text
 * columns in order of first appearance (warn mode passes them through).
 */
export function recordsToBatch(records: readonly Rec[], fields: readonly ContractField[]): RecordBatch {
  const names = new Set(fields.map((f) => f.name));
  const extras: string[] = [];
  for (const r of records)
    for (const k of Object.keys(r))
      if (!names.has(k)) {
        names.add(k);
        extras.push(k);
      }
  const pluck = (key: string): unknown[] => records.map((r) => r[key] ?? null);
  const columns: [string, Data][] = fields.map((f) => [f.name, buildColumn(pluck(f.name), f.type)]);
  for (const k of extras) columns.push([k, buildColumn(pluck(k), undefined)]);
  const schema = new Schema(columns.map(([name, d]) => new Field(name, d.type as DataType, true)));
  const data = makeData({
    type: new Struct(schema.fields),
    length: records.length,
    nullCount: 0,
    children: columns.map(([, d]) => d),
  });
  return new RecordBatch(schema, data);
}
