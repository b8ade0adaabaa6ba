/**
 * Test data for plugin authors: rows that fit a contract (every 5th value of an optional column is
 * null), the same rows as one Arrow RecordBatch with the contract's Arrow types (what a writer
 * plugin receives), and a mock config from the manifest's schema. Deterministic: the same seed
 * gives the same rows, so a plugin's unit test can assert on exact values.
 */
import { type Data, type DataType, Field, makeData, RecordBatch, Schema, Struct, Type } from 'apache-arrow';
import type { ContractField } from '../contract/model.js';
import { arrowType } from '../contract/schema.js';
import type { PluginManifest } from '../plugins/manifest.js';
import { batchToIpc } from '../sinks/parquet/arrow.js';
import { configFromSchema } from './config-gen.js';

export type RecordValue = string | number | boolean | null;
export type GeneratedRecord = Record<string, RecordValue>;

export interface GenerateOptions {
  /** First row number (default 1); row k is a pure function of (field, k). */
  start?: number;
  /** Every n-th value of an optional column is null (default 5; 0 = never). */
  nullEvery?: number;
}

const DAY_MS = 86_400_000;
const BASE_MS = Date.UTC(2024, 0, 1);

function valueFor(field: ContractField, k: number): RecordValue {
  const t = field.type;
  switch (t.kind) {
    case 'int64':
      return k;
    case 'float64':
      return k * 1.5;
    case 'bool':
      return k % 2 === 0;
    case 'date':
      return new Date(BASE_MS + k * DAY_MS).toISOString().slice(0, 10);
    case 'timestamp':
      return new Date(BASE_MS + k * 1000).toISOString().replace('.000Z', t.utc === false ? '' : 'Z');
    case 'decimal': {
      const unscaled = BigInt(k) * 101n;
      const s = unscaled.toString().padStart(t.scale + 1, '0');
      return t.scale > 0 ? `${s.slice(0, -t.scale)}.${s.slice(-t.scale)}` : s;
    }
    case 'json':
      return JSON.stringify({ k });
    case 'string':
      return `${field.name}-${k}`;
  }
}

export function generateRecords(
  fields: readonly ContractField[],
  count: number,
  opts: GenerateOptions = {},
): GeneratedRecord[] {
  const start = opts.start ?? 1;
  const nullEvery = opts.nullEvery ?? 5;
  const rows: GeneratedRecord[] = [];
  for (let k = start; k < start + count; k++) {
    const row: GeneratedRecord = {};
    for (const f of fields)
      row[f.name] = !f.required && nullEvery > 0 && k % nullEvery === 0 ? null : valueFor(f, k);
    rows.push(row);
  }
  return rows;
}

function validity(values: readonly RecordValue[]): { nullBitmap?: Uint8Array; nullCount: number } {
  const nullCount = values.filter((v) => v === null).length;
  if (nullCount === 0) return { nullCount };
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v !== null) nullBitmap[i >> 3]! |= 1 << (i & 7);
  });
  return { nullBitmap, nullCount };
}

function decimalWords(text: string, scale: number): bigint {
  const [int = '0', frac = ''] = text.split('.');
  return BigInt(`${int}${frac.padEnd(scale, '0').slice(0, scale)}`);
}

function column(type: DataType, values: readonly RecordValue[]): Data {
  const n = values.length;
  const base = { type, length: n, ...validity(values) };
  switch (type.typeId) {
    case Type.Int:
      return makeData({
        ...base,
        data: BigInt64Array.from(values, (v) => BigInt(v === null ? 0 : Number(v))),
      } as never);
    case Type.Float:
      return makeData({
        ...base,
        data: Float64Array.from(values, (v) => (v === null ? 0 : Number(v))),
      } as never);
    case Type.Bool: {
      const bits = new Uint8Array(Math.ceil(n / 8));
      values.forEach((v, i) => {
        if (v === true) bits[i >> 3]! |= 1 << (i & 7);
      });
      return makeData({ ...base, data: bits } as never);
    }
    case Type.Date:
      return makeData({
        ...base,
        data: Int32Array.from(values, (v) =>
          v === null ? 0 : Math.floor(Date.parse(`${v}T00:00:00Z`) / DAY_MS),
        ),
      } as never);
    case Type.Timestamp:
      return makeData({
        ...base,
        data: BigInt64Array.from(values, (v) => {
          if (v === null) return 0n;
          const s = String(v);
          return BigInt(Date.parse(/Z|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`)) * 1000n;
        }),
      } as never);
    case Type.Decimal: {
      const scale = (type as unknown as { scale: number }).scale;
      const words = new Uint32Array(n * 4);
      values.forEach((v, i) => {
        let x = v === null ? 0n : decimalWords(String(v), scale);
        x = BigInt.asUintN(128, x);
        for (let w = 0; w < 4; w++) words[i * 4 + w] = Number((x >> BigInt(32 * w)) & 0xffffffffn);
      });
      return makeData({ ...base, data: words } as never);
    }
    default: {
      const enc = new TextEncoder();
      const parts = values.map((v) => enc.encode(v === null ? '' : String(v)));
      const offsets = new Int32Array(n + 1);
      parts.forEach((p, i) => {
        offsets[i + 1] = offsets[i]! + p.byteLength;
      });
      const bytes = new Uint8Array(offsets[n]!);
      parts.forEach((p, i) => {
        bytes.set(p, offsets[i]!);
      });
      return makeData({ ...base, valueOffsets: offsets, data: bytes } as never);
    }
  }
}

/** The rows as one RecordBatch with the contract's Arrow types (timestamps naive unless the contract says UTC). */
export function recordsToBatch(
  fields: readonly ContractField[],
  rows: readonly GeneratedRecord[],
): RecordBatch {
  const arrowFields = fields.map(
    (f) =>
      new Field(f.name, arrowType(f.type, f.type.kind === 'timestamp' && f.type.utc === true), !f.required),
  );
  const children = fields.map((f, i) =>
    column(
      arrowFields[i]!.type,
      rows.map((r) => r[f.name] ?? null),
    ),
  );
  const schema = new Schema(arrowFields);
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children }),
  );
}

/** The same batch as the IPC bytes a writer plugin's `write_batch` receives. */
export function recordsToIpc(fields: readonly ContractField[], rows: readonly GeneratedRecord[]): Uint8Array {
  return batchToIpc(recordsToBatch(fields, rows));
}

/** A config that satisfies the manifest's config_schema (defaults, examples, then typed samples). */
export function mockConfig(manifest: Pick<PluginManifest, 'config_schema'>): Record<string, unknown> {
  return configFromSchema(manifest.config_schema);
}
