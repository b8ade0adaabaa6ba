/** Test helpers: utf8 batches built from bytes (like the CSV source makes them), contracts, readers. */
import {
  type Data,
  type DataType,
  Field,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Type,
  Utf8,
} from 'apache-arrow';
import type { Contract, ContractField, FieldType } from '../../../host/contract/model.js';
import { readDecimal128 } from '../../../host/contract/parse/decimal.js';
import type { SourceBatch } from '../../../host/sources/source.js';

const encoder = new TextEncoder();

export function utf8Data(values: (string | null)[]): Data<Utf8> {
  const offsets = new Int32Array(values.length + 1);
  const validity = new Uint8Array((values.length + 7) >> 3);
  const chunks = values.map((v) => encoder.encode(v ?? ''));
  let pos = 0;
  let nulls = 0;
  values.forEach((v, i) => {
    if (v === null) nulls++;
    else validity[i >> 3] = (validity[i >> 3] as number) | (1 << (i & 7));
    pos += (chunks[i] as Uint8Array).length;
    offsets[i + 1] = pos;
  });
  const bytes = new Uint8Array(pos);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return makeData({
    type: new Utf8(),
    length: values.length,
    nullCount: nulls,
    nullBitmap: validity,
    valueOffsets: offsets,
    data: bytes,
  });
}

/** A RecordBatch of utf8 columns, in the key order of `columns`. */
export function utf8Batch(columns: Record<string, (string | null)[]>): RecordBatch {
  const names = Object.keys(columns);
  const children = names.map((n) => utf8Data(columns[n] as (string | null)[]));
  const schema = new Schema(names.map((n) => new Field(n, new Utf8(), true)));
  const length = children[0]?.length ?? 0;
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }),
  );
}

/** A source batch whose rows sit on lines 2, 3, ... (line 1 is the header). */
export function sourceBatch(
  columns: Record<string, (string | null)[]>,
  extra: Partial<SourceBatch> = {},
): SourceBatch {
  const batch = utf8Batch(columns);
  const lines = Int32Array.from({ length: batch.numRows }, (_, i) => i + 2);
  return { batch, lines, origin: { file: 'data.csv' }, ...extra };
}

export interface FieldSpec {
  name: string;
  type: FieldType;
  required?: boolean;
  classification?: string;
  constraints?: ContractField['constraints'];
}

export function contractOf(fields: FieldSpec[]): Contract {
  return {
    file: 'contract.yaml',
    form: 'flat',
    apiVersion: 'v3.0.2',
    kind: 'DataContract',
    id: 'test',
    name: 'test_contract',
    version: '1.0',
    status: 'active',
    tags: [],
    compliance: { classification: [], regulations: [] },
    finops: { businessTags: [] },
    target: {},
    fields: fields.map((f) => ({
      name: f.name,
      type: f.type,
      typeName: f.type.kind === 'decimal' ? `decimal(${f.type.precision},${f.type.scale})` : f.type.kind,
      required: f.required ?? false,
      ...(f.classification === undefined ? {} : { classification: f.classification }),
      constraints: f.constraints ?? {},
    })),
  };
}

/** Column values read from the raw buffers: bigint for int64/timestamp/decimal, days for dates. */
export function values(batch: RecordBatch, name: string): unknown[] {
  const vec = batch.getChild(name);
  if (!vec) throw new Error(`no column ${name}`);
  const data = vec.data[0] as Data;
  const out: unknown[] = [];
  for (let i = 0; i < data.length; i++) {
    if (!data.getValid(i)) {
      out.push(null);
      continue;
    }
    // Value buffers are pre-sliced by Arrow JS; data.offset applies to validity only.
    const k = i;
    switch (data.typeId) {
      case Type.Decimal:
        out.push(readDecimal128(data.values as Uint32Array, k));
        break;
      case Type.Int:
      case Type.Timestamp:
      case Type.Date:
        out.push((data.values as ArrayLike<unknown>)[k]);
        break;
      default:
        out.push(vec.get(i));
    }
  }
  return out;
}

/** The type of output field `index`, with the optional attributes tests look at. */
export function fieldType(
  batch: RecordBatch,
  index: number,
): DataType & {
  timezone?: string | null;
  unit?: number;
  precision?: number;
  scale?: number;
  bitWidth?: number;
} {
  const f = batch.schema.fields[index];
  if (!f) throw new Error(`no field ${index}`);
  return f.type;
}
