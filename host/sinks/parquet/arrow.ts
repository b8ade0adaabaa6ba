/**
 * Arrow-side helpers for the Parquet writer: stamping field ids on a schema, turning a batch into
 * the one-batch IPC stream the encoder worker eats, and picking rows out of a batch for
 * partitioning (apache-arrow JS has no `take` kernel).
 */
import {
  type Data,
  type DataType,
  Field,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Type,
  tableToIPC,
} from 'apache-arrow';

/** The Arrow field metadata key parquet-rs turns into a Parquet field id. */
export const FIELD_ID_KEY = 'PARQUET:field_id';

/** A copy of `schema` whose fields carry `PARQUET:field_id` from `ids` (name → id). */
export function withFieldIds(schema: Schema, ids: ReadonlyMap<string, number>): Schema {
  const fields = schema.fields.map((f) => {
    const id = ids.get(f.name);
    if (id === undefined) throw new Error(`no field id for column ${f.name}`);
    const metadata = new Map(f.metadata);
    metadata.set(FIELD_ID_KEY, String(id));
    return new Field(f.name, f.type, f.nullable, metadata);
  });
  return new Schema(fields, schema.metadata);
}

/** A stable description of a schema's shape (names, types, nullability), for equality checks. */
export function schemaSignature(schema: Schema): string {
  return schema.fields.map((f) => `${f.name}:${String(f.type)}${f.nullable ? '' : ' not null'}`).join(', ');
}

/** The batch's columns under another schema with the same shape (e.g. the one with field ids). */
export function rebatch(batch: RecordBatch, schema: Schema): RecordBatch {
  const data = makeData({
    type: new Struct(schema.fields),
    length: batch.numRows,
    nullCount: 0,
    children: batch.data.children,
  });
  return new RecordBatch(schema, data);
}

/** One complete IPC stream (schema, one batch, EOS): the unit the encoder worker accepts. */
export function batchToIpc(batch: RecordBatch): Uint8Array {
  return tableToIPC(new Table([batch]), 'stream');
}

/** A new batch holding the rows at `indices` (in that order). Flat types only, which is all §4 uses. */
export function takeRows(batch: RecordBatch, indices: Uint32Array): RecordBatch {
  const children = batch.data.children.map((c) => takeData(c, indices));
  const data = makeData({
    type: new Struct(batch.schema.fields),
    length: indices.length,
    nullCount: 0,
    children,
  });
  return new RecordBatch(batch.schema, data);
}

function takeData(d: Data, idx: Uint32Array): Data {
  const n = idx.length;
  let nullBitmap: Uint8Array | undefined;
  let nullCount = 0;
  if (d.nullCount > 0) {
    nullBitmap = new Uint8Array(Math.ceil(n / 8));
    for (let i = 0; i < n; i++) {
      if (d.getValid(idx[i] as number)) nullBitmap[i >> 3]! |= 1 << (i & 7);
      else nullCount++;
    }
  }
  const type = d.type as DataType;
  const base = { type, offset: 0, length: n, nullCount, nullBitmap } as const;

  switch (type.typeId) {
    case Type.Bool: {
      const src = d.values as Uint8Array;
      const out = new Uint8Array(Math.ceil(n / 8));
      for (let i = 0; i < n; i++) {
        const pos = d.offset + (idx[i] as number);
        if (src[pos >> 3]! & (1 << (pos & 7))) out[i >> 3]! |= 1 << (i & 7);
      }
      return makeData({ ...base, data: out } as never);
    }
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary: {
      const large = type.typeId === Type.LargeUtf8 || type.typeId === Type.LargeBinary;
      const offs = d.valueOffsets as Int32Array | BigInt64Array;
      const src = d.values as Uint8Array;
      let total = 0;
      for (let i = 0; i < n; i++) {
        const r = idx[i] as number;
        total += Number(offs[r + 1]) - Number(offs[r]);
      }
      const values = new Uint8Array(total);
      const outOffs = large ? new BigInt64Array(n + 1) : new Int32Array(n + 1);
      let at = 0;
      for (let i = 0; i < n; i++) {
        const r = idx[i] as number;
        const s = Number(offs[r]);
        const e = Number(offs[r + 1]);
        values.set(src.subarray(s, e), at);
        at += e - s;
        if (large) (outOffs as BigInt64Array)[i + 1] = BigInt(at);
        else (outOffs as Int32Array)[i + 1] = at;
      }
      return makeData({ ...base, valueOffsets: outOffs, data: values } as never);
    }
    case Type.Int:
    case Type.Float:
    case Type.Decimal:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Duration:
    case Type.Interval:
    case Type.FixedSizeBinary: {
      const src = d.values as unknown as {
        length: number;
        subarray(a: number, b: number): ArrayLike<unknown>;
      } & {
        constructor: new (n: number) => { set(a: ArrayLike<unknown>, at: number): void };
      };
      const stride = d.stride;
      const out = new (
        src.constructor as new (
          len: number,
        ) => {
          [i: number]: unknown;
          set(a: ArrayLike<unknown>, at: number): void;
        }
      )(n * stride);
      if (stride === 1) {
        const s = src as unknown as { [i: number]: unknown };
        for (let i = 0; i < n; i++) out[i] = s[idx[i] as number];
      } else {
        for (let i = 0; i < n; i++) {
          const r = idx[i] as number;
          out.set(src.subarray(r * stride, (r + 1) * stride), i * stride);
        }
      }
      return makeData({ ...base, data: out } as never);
    }
    case Type.Null:
      return makeData({ type, length: n } as never);
    default:
      throw new Error(`cannot split a column of type ${String(type)} by partition`);
  }
}
