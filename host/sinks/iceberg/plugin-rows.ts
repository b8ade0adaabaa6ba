/**
 * A checked Parquet output (plugin-footer.ts) read one row group at a time into an Arrow batch of
 * the run's schema, for the Iceberg sink's own data-file writer to re-encode. The reader's parsers
 * keep values as stored: strings and JSON stay text (JSON is not parsed, so it cannot come out empty
 * or re-serialised), timestamps stay exact microseconds as bigint, dates stay day numbers.
 */
import {
  Bool,
  type Data,
  type DataType,
  DateDay,
  Decimal,
  type Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  type Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { asyncBufferFromFile, type ParquetParsers, parquetRead } from 'hyparquet';
import { DativoError } from '../../errors.js';
import type { CheckedOutput } from './plugin-footer.js';

const text = new TextDecoder();

const KEEP_AS_STORED: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (ms: bigint) => ms * 1000n,
  timestampFromMicroseconds: (us: bigint) => us,
  dateFromDays: (days: number) => days,
  stringFromBytes: (b: Uint8Array) => (b === undefined ? b : text.decode(b)),
  jsonFromBytes: (b: Uint8Array) => (b === undefined ? b : text.decode(b)),
};

type Cell = unknown;

/** Every row group of `out` as a batch of `schema`, in file order. */
export async function* rowGroupBatches(
  plugin: string,
  out: CheckedOutput,
  schema: Schema,
): AsyncGenerator<RecordBatch> {
  const file = await asyncBufferFromFile(out.path);
  const columns = schema.fields.map((f) => f.name);
  let start = 0;
  for (const rg of out.metadata.row_groups) {
    const end = start + Number(rg.num_rows);
    let rows: Cell[][] = [];
    await parquetRead({
      file,
      metadata: out.metadata,
      columns,
      rowStart: start,
      rowEnd: end,
      parsers: KEEP_AS_STORED,
      onComplete: (r: Cell[][]) => {
        rows = r;
      },
    });
    yield toBatch(plugin, out, schema, rows, start);
    start = end;
  }
}

function toBatch(
  plugin: string,
  out: CheckedOutput,
  schema: Schema,
  rows: Cell[][],
  first: number,
): RecordBatch {
  const children: Data[] = schema.fields.map((f, c) => {
    const values = rows.map((r) => r[c] ?? null);
    if (!f.nullable) {
      const i = values.indexOf(null);
      if (i >= 0)
        throw new DativoError(
          'PLUGIN_BAD_OUTPUT',
          `output ${out.name} of plugin ${plugin}, row ${first + i + 1}: column ${f.name} is required by the contract but null`,
          { location: { plugin, file: out.name, field: f.name, row: first + i + 1 } },
        );
    }
    return columnData(f, values);
  });
  const data = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new RecordBatch(schema, data);
}

/** A validity bitmap (Arrow: bit set = value present) and the null count. */
function validity(values: Cell[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null) nullCount++;
    else nullBitmap[i >> 3] = (nullBitmap[i >> 3] as number) | (1 << (i & 7));
  });
  return { nullBitmap, nullCount };
}

/** Fixed-width values written straight into their buffer (the vector builders take ms, not µs). */
function columnData(f: Field, values: Cell[]): Data {
  const type: DataType = f.type;
  const length = values.length;
  if (type instanceof Int64 || type instanceof TimestampMicrosecond) {
    const data = new BigInt64Array(length);
    values.forEach((v, i) => {
      if (v !== null) data[i] = BigInt(v as bigint | number);
    });
    return makeData({ type, length, data, ...validity(values) } as never);
  }
  if (type instanceof Float64) {
    const data = Float64Array.from(values, (v) => (v === null ? 0 : Number(v)));
    return makeData({ type, length, data, ...validity(values) } as never);
  }
  if (type instanceof DateDay) {
    const data = Int32Array.from(values, (v) => (v === null ? 0 : Number(v)));
    return makeData({ type, length, data, ...validity(values) } as never);
  }
  if (type instanceof Decimal) return decimalData(type, values);
  if (type instanceof Bool || type instanceof Utf8) return vectorFromArray(values, type).data[0] as Data;
  throw new DativoError('INTERNAL', `column ${f.name}: no reader for ${String(type)}`);
}

/**
 * The reader yields decimals as float64 (unscaled × 10^-scale); below 16 digits (the footer check's
 * limit) rounding recovers the unscaled integer exactly. Stored as 128-bit little-endian words.
 */
function decimalData(type: Decimal, values: Cell[]): Data {
  const data = new Uint32Array(values.length * 4);
  const factor = 10 ** type.scale;
  values.forEach((v, i) => {
    if (v === null) return;
    let u = BigInt.asUintN(128, BigInt(Math.round(Number(v) * factor)));
    for (let w = 0; w < 4; w++) {
      data[i * 4 + w] = Number(u & 0xffffffffn);
      u >>= 32n;
    }
  });
  return makeData({ type, length: values.length, data, ...validity(values) } as never);
}
