import * as path from 'node:path';
import { Field, Float64, Int64, Schema, TimestampMicrosecond } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ResolvedJob } from '../../../host/config/types.js';
import { createFileSink } from '../../../host/sinks/file-sink.js';
import { newRunId } from '../../../host/sinks/layout.js';
import { createLocalSink } from '../../../host/sinks/local/index.js';
import { batchToIpc, rebatch, withFieldIds } from '../../../host/sinks/parquet/arrow.js';
import { createParquetEncoder } from '../../../host/sinks/parquet/encoder.js';
import { createLocalStore } from '../../../host/sinks/store/local.js';
import { batchOf, ctx, type Duck, duck, T, tempDir, visibleGlob } from './helpers.js';

const N = 1000;
const DAY0 = 19723; // 2024-01-01
const US0 = 1704067200000000n; // 2024-01-01T00:00:00Z in µs

function typedBatch(n = N) {
  const idx = Array.from({ length: n }, (_, i) => i);
  return batchOf([
    { name: 'id', type: new Int64(), nullable: false, data: T.int64(idx.map(BigInt)) },
    { name: 'amount', type: new Float64(), data: T.float64(idx.map((i) => i * 0.25)) },
    {
      name: 'price',
      type: T.decimal([0n], 10, 2).type,
      data: T.decimal(
        idx.map((i) => BigInt(i * 101 - 5000)),
        10,
        2,
      ),
    },
    { name: 'day', type: T.date([0]).type, data: T.date(idx.map((i) => DAY0 + (i % 366))) },
    {
      name: 'ts_naive',
      type: new TimestampMicrosecond(),
      data: T.tsMicros(idx.map((i) => US0 + BigInt(i) * 1_000_001n)),
    },
    {
      name: 'ts_utc',
      type: new TimestampMicrosecond('UTC'),
      data: T.tsMicros(
        idx.map((i) => US0 + BigInt(i) * 7n),
        'UTC',
      ),
    },
    { name: 'flag', type: T.bool([]).type, data: T.bool(idx.map((i) => i % 3 === 0)) },
    { name: 'name', type: T.utf8([]).type, data: T.utf8(idx.map((i) => (i % 10 === 0 ? null : `n-${i}-é`))) },
  ]);
}

let db: Duck;
beforeAll(async () => {
  db = await duck();
});
afterAll(() => db.close());

describe('typed batch → Parquet, verified by DuckDB', () => {
  const out = tempDir();
  const runId = newRunId();
  let committedKey = '';

  beforeAll(async () => {
    const job = {
      target: {
        connection: { path: out },
        partitioning: [],
        compression: 'zstd',
        rowGroupSize: 300,
        parquetTargetSizeMb: 128,
      },
      contract: { name: 'Sales Orders-EU', domain: 'sales', dataProduct: 'orders' },
      source: { objects: ['orders'], files: [] },
    } as unknown as ResolvedJob;
    const sink = createLocalSink(job, {
      kvMetadata: { 'dativo.asset': 'sales_orders', 'dativo.classification.name': 'pii' },
    });
    await sink.open(ctx(runId));
    await sink.write(typedBatch());
    const { record } = await sink.commit({ state: { cursor: 42 } });
    expect(record.status).toBe('done');
    expect(record.rows).toBe(N);
    expect(record.files).toHaveLength(1);
    committedKey = record.files[0]!.key;
  });

  test('key layout follows spec §7 with a per-run file name', () => {
    expect(committedKey).toBe(`sales/orders/sales_orders_eu/orders-${runId}-00000.parquet`);
  });

  test('rows and values come back exactly', async () => {
    const g = visibleGlob(out);
    const agg = await db.one(
      `SELECT count(*)::INT AS n, sum(id)::BIGINT AS sid, sum(amount) AS samount, sum(price)::VARCHAR AS sprice,
              count(name)::INT AS names, count(*) FILTER (WHERE flag)::INT AS flags
       FROM read_parquet('${g}')`,
    );
    expect(agg).toEqual({ n: N, sid: 499500n, samount: 124875, sprice: '454495.00', names: 900, flags: 334 });

    const rows = await db.all(
      `SELECT id::INT AS id, amount, price::VARCHAR AS price, day::VARCHAR AS day, ts_naive::VARCHAR AS ts_naive,
              epoch_us(ts_utc)::BIGINT AS ts_utc_us, flag, name
       FROM read_parquet('${g}') WHERE id IN (0, 1, 999) ORDER BY id`,
    );
    expect(rows).toEqual([
      {
        id: 0,
        amount: 0,
        price: '-50.00',
        day: '2024-01-01',
        ts_naive: '2024-01-01 00:00:00',
        ts_utc_us: US0,
        flag: true,
        name: null,
      },
      {
        id: 1,
        amount: 0.25,
        price: '-48.99',
        day: '2024-01-02',
        ts_naive: '2024-01-01 00:00:01.000001',
        ts_utc_us: US0 + 7n,
        flag: false,
        name: 'n-1-é',
      },
      {
        id: 999,
        amount: 249.75,
        price: '958.99',
        day: '2024-09-24', // 999 % 366 = 267 days after 2024-01-01
        ts_naive: '2024-01-01 00:16:39.000999',
        ts_utc_us: US0 + 999n * 7n,
        flag: true,
        name: 'n-999-é',
      },
    ]);
  });

  test('DuckDB sees the logical types, and naive vs UTC timestamps', async () => {
    const desc = await db.all(`DESCRIBE SELECT * FROM read_parquet('${visibleGlob(out)}')`);
    expect(Object.fromEntries(desc.map((r) => [r.column_name, r.column_type]))).toEqual({
      id: 'BIGINT',
      amount: 'DOUBLE',
      price: 'DECIMAL(10,2)',
      day: 'DATE',
      ts_naive: 'TIMESTAMP',
      ts_utc: 'TIMESTAMP WITH TIME ZONE',
      flag: 'BOOLEAN',
      name: 'VARCHAR',
    });
  });

  test('parquet_schema: field ids 1..n and logical types', async () => {
    const file = path.join(out, committedKey);
    const rows = await db.all(
      `SELECT name, type, logical_type, field_id::INT AS field_id, repetition_type FROM parquet_schema('${file}') WHERE num_children IS NULL`,
    );
    const by = Object.fromEntries(rows.map((r) => [r.name, r]));
    expect(rows.map((r) => [r.name, r.field_id])).toEqual([
      ['id', 1],
      ['amount', 2],
      ['price', 3],
      ['day', 4],
      ['ts_naive', 5],
      ['ts_utc', 6],
      ['flag', 7],
      ['name', 8],
    ]);
    expect(by.id).toMatchObject({ type: 'INT64', repetition_type: 'REQUIRED' });
    expect(by.amount).toMatchObject({ type: 'DOUBLE', repetition_type: 'OPTIONAL' });
    expect(String(by.price?.logical_type)).toMatch(/DecimalType\(scale=2, precision=10\)/);
    expect(String(by.day?.logical_type)).toMatch(/DateType/);
    expect(String(by.ts_naive?.logical_type)).toMatch(
      /TimestampType\(isAdjustedToUTC=0, unit=TimeUnit\(MILLIS=<null>, MICROS=MicroSeconds/,
    );
    expect(String(by.ts_utc?.logical_type)).toMatch(
      /TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(MILLIS=<null>, MICROS=MicroSeconds/,
    );
    expect(by.flag).toMatchObject({ type: 'BOOLEAN' });
    expect(String(by.name?.logical_type)).toMatch(/StringType/);
  });

  test('parquet_metadata: ZSTD and row groups of the configured size (1000 rows / 300 → 4)', async () => {
    const file = path.join(out, committedKey);
    const rgs = await db.all(
      `SELECT DISTINCT row_group_id::INT AS rg, row_group_num_rows::INT AS rows FROM parquet_metadata('${file}') ORDER BY rg`,
    );
    expect(rgs).toEqual([
      { rg: 0, rows: 300 },
      { rg: 1, rows: 300 },
      { rg: 2, rows: 300 },
      { rg: 3, rows: 100 },
    ]);
    const codecs = await db.all(`SELECT DISTINCT compression FROM parquet_metadata('${file}')`);
    expect(codecs).toEqual([{ compression: 'ZSTD' }]);
    const meta = await db.one(`SELECT created_by FROM parquet_file_metadata('${file}')`);
    expect(String(meta.created_by)).toMatch(/^dativo/);
  });

  test('parquet_kv_metadata carries the dativo.* tags and the run id', async () => {
    const file = path.join(out, committedKey);
    const kv = await db.all(
      `SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${file}') WHERE decode(key) LIKE 'dativo.%' ORDER BY k`,
    );
    expect(kv).toEqual([
      { k: 'dativo.asset', v: 'sales_orders' },
      { k: 'dativo.classification.name', v: 'pii' },
      { k: 'dativo.run_id', v: runId },
    ]);
  });
});

describe('compression options', () => {
  for (const [compression, codec] of [
    ['snappy', 'SNAPPY'],
    ['gzip', 'GZIP'],
    ['none', 'UNCOMPRESSED'],
  ] as const) {
    test(`${compression} → ${codec}`, async () => {
      const out = tempDir();
      const sink = createFileSink({
        store: createLocalStore(out),
        layout: { assetName: 'c' },
        partitionBy: [],
        compression,
        rowGroupSize: 1000,
      });
      await sink.open(ctx(newRunId()));
      await sink.write(typedBatch(50));
      const { record } = await sink.commit({ state: {} });
      const rows = await db.all(
        `SELECT DISTINCT compression FROM parquet_metadata('${path.join(out, record.files[0]!.key)}')`,
      );
      expect(rows).toEqual([{ compression: codec }]);
    });
  }
});

describe('worker failures', () => {
  const schemaA = new Schema([new Field('id', new Int64(), false)]);

  test('a batch whose schema differs mid-stream rejects the file cleanly', async () => {
    const dir = tempDir();
    const enc = createParquetEncoder();
    const w = enc.open(path.join(dir, 'x.parquet'), { compression: 'zstd', rowGroupSize: 100 });
    const ids = new Map([['id', 1]]);
    const good = rebatch(
      batchOf([{ name: 'id', type: new Int64(), nullable: false, data: T.int64([1n, 2n]) }]),
      withFieldIds(schemaA, ids),
    );
    const bad = batchOf([{ name: 'id', type: new Float64(), data: T.float64([1.5]) }]);
    await w.write(batchToIpc(good), 2);
    await w.write(batchToIpc(bad), 1);
    await expect(w.close()).rejects.toThrow(
      /schema differs from the file's schema: expected \{id:Int64 not null; ids 1\}, got \{id:Float64; ids -\}/,
    );
    // The encoder survives for other files.
    const w2 = enc.open(path.join(dir, 'y.parquet'), { compression: 'zstd', rowGroupSize: 100 });
    await w2.write(batchToIpc(good), 2);
    expect((await w2.close()).rows).toBe(2);
    await enc.terminate();
    const n = await db.one(`SELECT count(*)::INT AS n FROM read_parquet('${path.join(dir, 'y.parquet')}')`);
    expect(n).toEqual({ n: 2 });
  });

  test('writes after a file failed reject instead of hanging', async () => {
    const dir = tempDir();
    const enc = createParquetEncoder({ maxInFlight: 1 });
    const w = enc.open(path.join(dir, 'x.parquet'), { compression: 'zstd', rowGroupSize: 100 });
    const a = batchOf([{ name: 'id', type: new Int64(), data: T.int64([1n]) }]);
    const b = batchOf([{ name: 'v', type: new Float64(), data: T.float64([1]) }]);
    await w.write(batchToIpc(a), 1);
    await w.write(batchToIpc(b), 1);
    let err: unknown;
    for (let i = 0; i < 50 && !err; i++) {
      try {
        await w.write(batchToIpc(a), 1);
      } catch (e) {
        err = e;
      }
    }
    expect(String(err)).toMatch(/schema differs/);
    await enc.terminate();
  });

  test('terminate rejects pending closes and later writes', async () => {
    const dir = tempDir();
    const enc = createParquetEncoder();
    const w = enc.open(path.join(dir, 'x.parquet'), { compression: 'zstd', rowGroupSize: 100 });
    await w.write(batchToIpc(batchOf([{ name: 'id', type: new Int64(), data: T.int64([1n]) }])), 1);
    const closing = expect(w.close()).rejects.toThrow(/terminated/);
    await enc.terminate();
    await closing;
    expect(() => enc.open(path.join(dir, 'z.parquet'), { compression: 'zstd', rowGroupSize: 1 })).toThrow(
      /terminated/,
    );
  });

  test('the sink rejects a batch with another schema before it reaches the worker', async () => {
    const out = tempDir();
    const sink = createFileSink({
      store: createLocalStore(out),
      layout: { assetName: 'm' },
      partitionBy: [],
      compression: 'zstd',
      rowGroupSize: 10,
    });
    await sink.open(ctx(newRunId()));
    await sink.write(batchOf([{ name: 'id', type: new Int64(), data: T.int64([1n]) }]));
    await expect(
      sink.write(batchOf([{ name: 'id', type: new Float64(), data: T.float64([1]) }])),
    ).rejects.toMatchObject({
      code: 'WRITE_FAILED',
      message: expect.stringMatching(/expected \{id:Int64\}, got \{id:Float64\}/),
    });
    await expect(sink.commit({ state: {} })).rejects.toMatchObject({ code: 'WRITE_FAILED' });
    await sink.abort('test');
    const n = await db.one(`SELECT count(*)::INT AS n FROM glob('${visibleGlob(out)}')`);
    expect(n).toEqual({ n: 0 });
  });
});
