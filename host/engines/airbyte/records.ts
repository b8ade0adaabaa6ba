/**
 * Airbyte RECORD data (JSON objects) → one Arrow batch per `batchSize` rows, typed by the
 * stream's contract: a column whose values all fit the contract's storage type is built typed
 * (int64, float64, bool) and reused by the validator as is; any other column, or one with a value
 * that does not fit (a string in an integer field), is handed over as text, so the validator's one
 * parser per type decides and reports the bad cell with its row. Nested values become JSON text.
 * Keys the contract does not name are passed as text columns (the validator keeps or drops them
 * by mode).
 */
import {
  Bool,
  type Data,
  Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
} from 'apache-arrow';
import type { Contract, FieldType } from '../../contract/model.js';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export class RecordBuffer {
  private readonly names: string[];
  private readonly types: (FieldType | undefined)[];
  private readonly index = new Map<string, number>();
  private readonly lowerIndex = new Map<string, number>();
  private columns: unknown[][];
  rows = 0;
  bytes = 0;

  constructor(contract: Contract) {
    this.names = contract.fields.map((f) => f.name);
    this.types = contract.fields.map((f) => f.type);
    this.names.forEach((n, i) => {
      this.index.set(n, i);
      if (!this.lowerIndex.has(n.toLowerCase())) this.lowerIndex.set(n.toLowerCase(), i);
    });
    this.columns = this.names.map(() => []);
  }

  /** Appends one record's `data`; `size` is its line length (progress). */
  add(data: Record<string, Json>, size: number): void {
    const row = this.rows;
    for (const key in data) {
      let i = this.index.get(key) ?? this.lowerIndex.get(key.toLowerCase());
      if (i === undefined) {
        // An extra key: a new text column, null in the rows before.
        i = this.names.length;
        this.names.push(key);
        this.types.push(undefined);
        this.index.set(key, i);
        this.columns.push([]);
      }
      const col = this.columns[i] as unknown[];
      while (col.length < row) col.push(null);
      col.push(data[key]);
    }
    this.rows++;
    this.bytes += size;
  }

  flush(): RecordBatch | undefined {
    const n = this.rows;
    if (n === 0) return undefined;
    const fields: Field[] = [];
    const children: Data[] = [];
    this.names.forEach((name, i) => {
      const col = this.columns[i] as unknown[];
      while (col.length < n) col.push(null);
      const data = buildColumn(col, this.types[i]);
      fields.push(new Field(name, data.type, true));
      children.push(data);
    });
    // Extra keys are per batch: the next batch starts with the contract's columns only.
    const contractCols = this.types.indexOf(undefined);
    if (contractCols >= 0) {
      for (const name of this.names.slice(contractCols)) this.index.delete(name);
      this.names.length = contractCols;
      this.types.length = contractCols;
    }
    this.columns = this.names.map(() => []);
    this.rows = 0;
    this.bytes = 0;
    const schema = new Schema(fields);
    return new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children }));
  }
}

/**
 * Columns are built straight into Arrow buffers: apache-arrow's generic builders (vectorFromArray)
 * cost more than JSON.parse per value and dominated the Airbyte path's profile.
 */
function buildColumn(values: unknown[], type: FieldType | undefined): Data {
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
