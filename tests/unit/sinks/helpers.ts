/** Shared helpers for the sink tests: typed Arrow batches built from raw buffers, and DuckDB. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  Bool,
  type DataType,
  DateDay,
  Decimal,
  Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import { silentLogger } from '../../../host/observability/logger.js';
import type { SinkOpenContext } from '../../../host/sinks/sink.js';

export function tempDir(prefix = 'dativo-sinks-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function ctx(runId: string, job = 'job-a', tenant = 'acme'): SinkOpenContext {
  return { runId, job, tenant, logger: silentLogger() };
}

function validity(isNull: (i: number) => boolean, n: number): { nullBitmap?: Uint8Array; nullCount: number } {
  const bm = new Uint8Array(Math.ceil(n / 8));
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (isNull(i)) nulls++;
    else bm[i >> 3]! |= 1 << (i & 7);
  }
  return nulls > 0 ? { nullBitmap: bm, nullCount: nulls } : { nullCount: 0 };
}

export function utf8Data(values: (string | null)[]) {
  const enc = new TextEncoder();
  const parts = values.map((v) => (v === null ? new Uint8Array() : enc.encode(v)));
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  parts.forEach((p, i) => {
    total += p.byteLength;
    offsets[i + 1] = total;
  });
  const data = new Uint8Array(total);
  parts.forEach((p, i) => {
    data.set(p, offsets[i]!);
  });
  return makeData({
    type: new Utf8(),
    length: values.length,
    valueOffsets: offsets,
    data,
    ...validity((i) => values[i] === null, values.length),
  });
}

export interface Col {
  name: string;
  type: DataType;
  nullable?: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: Data of any type
  data: any;
}

export function batchOf(cols: Col[]): RecordBatch {
  const fields = cols.map((c) => new Field(c.name, c.type, c.nullable ?? true));
  const length = cols[0]?.data.length ?? 0;
  const schema = new Schema(fields);
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(fields), length, nullCount: 0, children: cols.map((c) => c.data) }),
  );
}

export const T = {
  int64: (v: bigint[]) => makeData({ type: new Int64(), length: v.length, data: BigInt64Array.from(v) }),
  float64: (v: number[]) => makeData({ type: new Float64(), length: v.length, data: Float64Array.from(v) }),
  /** Unscaled values. */
  decimal: (v: bigint[], precision: number, scale: number) => {
    const words = new Uint32Array(v.length * 4);
    const view = new BigInt64Array(words.buffer);
    v.forEach((x, i) => {
      view[i * 2] = x;
      view[i * 2 + 1] = x < 0n ? -1n : 0n;
    });
    return makeData({ type: new Decimal(scale, precision, 128), length: v.length, data: words });
  },
  date: (days: number[]) =>
    makeData({ type: new DateDay(), length: days.length, data: Int32Array.from(days) }),
  tsMicros: (us: bigint[], tz?: string) =>
    makeData({ type: new TimestampMicrosecond(tz ?? null), length: us.length, data: BigInt64Array.from(us) }),
  bool: (v: boolean[]) => {
    const bits = new Uint8Array(Math.ceil(v.length / 8));
    v.forEach((b, i) => {
      if (b) bits[i >> 3]! |= 1 << (i & 7);
    });
    return makeData({ type: new Bool(), length: v.length, data: bits });
  },
  utf8: utf8Data,
};

export interface Duck {
  all(sql: string): Promise<Record<string, unknown>[]>;
  one(sql: string): Promise<Record<string, unknown>>;
  close(): void;
}

export async function duck(): Promise<Duck> {
  const inst = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const c = await inst.connect();
  await c.run(`SET TimeZone = 'UTC'`);
  const all = async (sql: string) =>
    (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  return {
    all,
    one: async (sql) => {
      const rows = await all(sql);
      if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}: ${sql}`);
      return rows[0]!;
    },
    close: () => {
      c.closeSync();
      inst.closeSync();
    },
  };
}

/** What the invariant calls "visible": every `.parquet` under the output, as DuckDB globs it. */
export function visibleGlob(root: string): string {
  return `${root.replace(/'/g, "''")}/**/*.parquet`;
}

/** Every file under a directory, relative, sorted (to assert what is on disk). */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(root, '');
  return out.sort();
}
