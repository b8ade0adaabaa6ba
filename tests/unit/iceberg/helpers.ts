/**
 * Helpers for the Iceberg tests: typed Arrow columns from plain values, a job stub for the sink,
 * and a `fetch` that serves `file://` URLs (with HEAD and Range), so icebird, which reads only over
 * HTTP, can read a local warehouse as an independent reader.
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  Bool,
  type Data,
  DateDay,
  Decimal,
  Float64,
  Int64,
  makeData,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import { afterAll, beforeAll } from 'vitest';
import type { ResolvedJob } from '../../../host/config/types.js';
import { createParquetEncoder, type ParquetEncoder } from '../../../host/sinks/parquet/encoder.js';
import { batchOf, type Col, utf8Data } from '../sinks/helpers.js';

export { batchOf, ctx, tempDir, utf8Data } from '../sinks/helpers.js';

function validity(values: readonly unknown[]): { nullBitmap?: Uint8Array; nullCount: number } {
  const bm = new Uint8Array(Math.ceil(values.length / 8));
  let nulls = 0;
  values.forEach((v, i) => {
    if (v === null) nulls++;
    else bm[i >> 3]! |= 1 << (i & 7);
  });
  return nulls > 0 ? { nullBitmap: bm, nullCount: nulls } : { nullCount: 0 };
}

export function int64Data(values: (bigint | number | null)[]): Data {
  const data = BigInt64Array.from(values, (v) => BigInt(v ?? 0));
  return makeData({ type: new Int64(), length: values.length, data, ...validity(values) });
}

export function float64Data(values: (number | null)[]): Data {
  const data = Float64Array.from(values, (v) => v ?? 0);
  return makeData({ type: new Float64(), length: values.length, data, ...validity(values) });
}

export function boolData(values: (boolean | null)[]): Data {
  const data = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v) data[i >> 3]! |= 1 << (i & 7);
  });
  return makeData({ type: new Bool(), length: values.length, data, ...validity(values) });
}

/** ISO dates `YYYY-MM-DD` → date32. */
export function dateData(values: (string | null)[]): Data {
  const data = Int32Array.from(values, (v) => (v === null ? 0 : Date.parse(`${v}T00:00:00Z`) / 86_400_000));
  return makeData({ type: new DateDay(), length: values.length, data, ...validity(values) });
}

/** ISO timestamps (micros kept from a `.ffffff` suffix) → timestamp(us[, UTC]). */
export function tsData(values: (string | null)[], utc = false): Data {
  const data = BigInt64Array.from(values, (v) => (v === null ? 0n : isoMicros(v)));
  return makeData({
    type: new TimestampMicrosecond(utc ? 'UTC' : null),
    length: values.length,
    data,
    ...validity(values),
  });
}

export function isoMicros(v: string): bigint {
  const m = /\.(\d{1,6})/.exec(v);
  const frac = m ? BigInt((m[1] as string).padEnd(6, '0')) : 0n;
  const base = Date.parse(`${v.replace(/\.\d+/, '')}${/Z|[+-]\d\d:\d\d$/.test(v) ? '' : 'Z'}`);
  return BigInt(base) * 1000n + frac;
}

/** Unscaled decimal values → decimal128(p, s). */
export function decimalData(values: (bigint | null)[], precision: number, scale: number): Data {
  const data = new Uint32Array(values.length * 4);
  values.forEach((v, i) => {
    let x = BigInt.asUintN(128, v ?? 0n);
    for (let w = 0; w < 4; w++) {
      data[i * 4 + w] = Number(x & 0xffffffffn);
      x >>= 32n;
    }
  });
  return makeData({
    type: new Decimal(scale, precision, 128),
    length: values.length,
    data,
    ...validity(values),
  });
}

export function people(ids: number[], extra: Col[] = []) {
  return batchOf([
    { name: 'id', type: new Int64(), nullable: false, data: int64Data(ids) },
    { name: 'name', type: new Utf8(), data: utf8Data(ids.map((i) => `name-${i}`)) },
    ...extra,
  ]);
}

/** A ResolvedJob with just what the Iceberg sink reads. */
export function icebergJob(
  warehouse: string,
  opts: {
    partitioning?: string[];
    domain?: string;
    name?: string;
    connection?: Record<string, unknown>;
  } = {},
): ResolvedJob {
  return {
    name: 'job-a',
    tenantId: 'acme',
    validationMode: 'strict',
    target: {
      type: 'iceberg',
      engine: 'native',
      config: { warehouse },
      options: {},
      connection: opts.connection ?? {},
      fileFormat: 'parquet',
      partitioning: opts.partitioning ?? [],
      parquetTargetSizeMb: 128,
      compression: 'zstd',
      rowGroupSize: 10_000,
    },
    contract: {
      name: opts.name ?? 'People',
      domain: opts.domain ?? 'sales',
      tags: [],
      fields: [],
    },
    locate: (keyPath: string) => ({ keyPath }),
  } as unknown as ResolvedJob;
}

/** Route `file://` URLs to the disk (HEAD and byte ranges), everything else to the real fetch. */
export function installFileFetch(): () => void {
  const real = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith('file://')) return real(input, init);
    const file = fileURLToPath(url);
    if (!fs.existsSync(file)) return new Response('not found', { status: 404 });
    const size = fs.statSync(file).size;
    if (init?.method === 'HEAD')
      return new Response(null, { status: 200, headers: { 'content-length': String(size) } });
    const range = new Headers(init?.headers).get('range');
    const bytes = fs.readFileSync(file);
    if (range) {
      const m = /bytes=(\d+)-(\d*)/.exec(range);
      const start = Number(m?.[1] ?? 0);
      const end = m?.[2] ? Number(m[2]) + 1 : size;
      return new Response(bytes.subarray(start, end), {
        status: 206,
        headers: {
          'content-length': String(end - start),
          'content-range': `bytes ${start}-${end - 1}/${size}`,
        },
      });
    }
    return new Response(bytes, { status: 200, headers: { 'content-length': String(size) } });
  }) as typeof fetch;
  return () => {
    globalThis.fetch = real;
  };
}

/**
 * For a test file that writes tables and reads them with icebird: one encoder worker for the whole
 * file (starting one per sink costs seconds on a busy machine) and `file://` fetch, both undone after.
 */
export function sharedEncoderWithFileFetch(): ParquetEncoder {
  const encoder = createParquetEncoder();
  let restore: () => void = () => {};
  beforeAll(() => {
    restore = installFileFetch();
  });
  afterAll(async () => {
    restore();
    await encoder.terminate();
  });
  return encoder;
}
