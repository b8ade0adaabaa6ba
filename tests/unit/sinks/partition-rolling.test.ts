import * as fs from 'node:fs';
import * as path from 'node:path';
import { DateDay, Float64, Int64, Utf8 } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFileSink } from '../../../host/sinks/file-sink.js';
import { formatPartitionValue, newRunId } from '../../../host/sinks/layout.js';
import { createLocalStore } from '../../../host/sinks/store/local.js';
import { batchOf, ctx, type Duck, duck, listFiles, T, tempDir, visibleGlob } from './helpers.js';

let db: Duck;
beforeAll(async () => {
  db = await duck();
});
afterAll(() => db.close());

const NOW = () => new Date('2026-03-04T23:30:00Z');

describe('hive partitions', () => {
  test('by a string column and ingest_date: one folder per value, rows split correctly', async () => {
    const out = tempDir();
    const sink = createFileSink({
      store: createLocalStore(out),
      layout: { assetName: 'Customers', domain: 'crm', table: 'customers' },
      partitionBy: ['region', 'ingest_date'],
      compression: 'zstd',
      rowGroupSize: 1000,
      now: NOW,
    });
    const runId = newRunId();
    await sink.open(ctx(runId));
    const regions = ['EU', 'US', null, 'Asia Pacific', 'eu'];
    for (let b = 0; b < 3; b++) {
      const ids = Array.from({ length: 100 }, (_, i) => b * 100 + i);
      await sink.write(
        batchOf([
          { name: 'id', type: new Int64(), data: T.int64(ids.map(BigInt)) },
          { name: 'region', type: new Utf8(), data: T.utf8(ids.map((i) => regions[i % 5]!)) },
        ]),
      );
    }
    const { record } = await sink.commit({ state: {} });

    // 'EU' and 'eu' format to the same folder and share its file; distinct folders never share one.
    expect(record.files.map((f) => f.key)).toEqual([
      `crm/default/customers/region=asia_pacific/ingest_date=2026-03-04/customers-${runId}-00003.parquet`,
      `crm/default/customers/region=eu/ingest_date=2026-03-04/customers-${runId}-00000.parquet`,
      `crm/default/customers/region=unknown/ingest_date=2026-03-04/customers-${runId}-00002.parquet`,
      `crm/default/customers/region=us/ingest_date=2026-03-04/customers-${runId}-00001.parquet`,
    ]);
    expect(record.files.map((f) => [f.partition, f.rows])).toEqual([
      [{ region: 'asia_pacific', ingest_date: '2026-03-04' }, 60],
      [{ region: 'eu', ingest_date: '2026-03-04' }, 120],
      [{ region: 'unknown', ingest_date: '2026-03-04' }, 60],
      [{ region: 'us', ingest_date: '2026-03-04' }, 60],
    ]);

    // The files keep the original values; DuckDB's hive reading shows the folder's.
    const raw = await db.all(
      `SELECT region, count(*)::INT AS n, sum(id)::INT AS s FROM read_parquet('${visibleGlob(out)}', hive_partitioning = false)
       GROUP BY region ORDER BY region NULLS LAST`,
    );
    expect(raw).toEqual([
      { region: 'Asia Pacific', n: 60, s: (3 + 298) * 30 },
      { region: 'EU', n: 60, s: (0 + 295) * 30 },
      { region: 'US', n: 60, s: (1 + 296) * 30 },
      { region: 'eu', n: 60, s: (4 + 299) * 30 },
      { region: null, n: 60, s: (2 + 297) * 30 },
    ]);
    const hive = await db.all(
      `SELECT ingest_date::VARCHAR AS d, count(*)::INT AS n, count(DISTINCT id)::INT AS ids FROM read_parquet('${visibleGlob(out)}') GROUP BY d`,
    );
    expect(hive).toEqual([{ d: '2026-03-04', n: 300, ids: 300 }]);
  });

  test('by a date column: ISO folder names', async () => {
    const out = tempDir();
    const sink = createFileSink({
      store: createLocalStore(out),
      layout: { assetName: 'ev' },
      partitionBy: ['day'],
      compression: 'zstd',
      rowGroupSize: 1000,
    });
    const runId = newRunId();
    await sink.open(ctx(runId));
    await sink.write(
      batchOf([
        { name: 'id', type: new Int64(), data: T.int64([1n, 2n, 3n]) },
        { name: 'day', type: new DateDay(), data: T.date([19723, 19724, 19723]) },
      ]),
    );
    const { record } = await sink.commit({ state: {} });
    expect(record.files.map((f) => f.key)).toEqual([
      `default/default/ev/day=2024-01-01/ev-${runId}-00000.parquet`,
      `default/default/ev/day=2024-01-02/ev-${runId}-00001.parquet`,
    ]);
    const rows = await db.all(
      `SELECT id::INT AS id, day::VARCHAR AS day FROM read_parquet('${visibleGlob(out)}') ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 1, day: '2024-01-01' },
      { id: 2, day: '2024-01-02' },
      { id: 3, day: '2024-01-01' },
    ]);
  });

  test('a partition column that is not in the data is a clear error', async () => {
    const sink = createFileSink({
      store: createLocalStore(tempDir()),
      layout: { assetName: 'x' },
      partitionBy: ['country'],
      compression: 'zstd',
      rowGroupSize: 10,
    });
    await sink.open(ctx(newRunId()));
    await expect(
      sink.write(batchOf([{ name: 'id', type: new Int64(), data: T.int64([1n]) }])),
    ).rejects.toThrow('partition column country is not a column of the data (id)');
    await sink.abort('test');
  });

  test('partition value formatting (spec §7)', () => {
    expect(formatPartitionValue('Hello World/ß', new Utf8())).toBe('hello_world__');
    expect(formatPartitionValue(null, new Utf8())).toBe('unknown');
    expect(formatPartitionValue('', new Utf8())).toBe('unknown');
    expect(formatPartitionValue(Date.UTC(2024, 1, 29), new DateDay())).toBe('2024-02-29');
    expect(formatPartitionValue(42n, new Int64())).toBe('42');
    expect(formatPartitionValue(1.5, new Float64())).toBe('1_5');
    expect(formatPartitionValue(true, T.bool([]).type)).toBe('true');
  });
});

describe('file rolling', () => {
  test('~5 MB of data with a 1 MB target → files near 1 MB each', async () => {
    const out = tempDir();
    const sink = createFileSink({
      store: createLocalStore(out),
      layout: { assetName: 'roll' },
      partitionBy: [],
      compression: 'zstd',
      rowGroupSize: 5000,
      targetFileSizeMb: 1,
    });
    await sink.open(ctx(newRunId()));
    // Pseudo-random doubles and ids barely compress: about 16 bytes a row in Parquet.
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const rowsPerBatch = 5000;
    const batches = 60;
    for (let b = 0; b < batches; b++) {
      const ids = Array.from({ length: rowsPerBatch }, (_, i) => BigInt(b * rowsPerBatch + i));
      await sink.write(
        batchOf([
          { name: 'id', type: new Int64(), data: T.int64(ids) },
          { name: 'k', type: new Int64(), data: T.int64(ids.map(() => BigInt(Math.floor(rnd() * 1e12)))) },
          { name: 'v', type: new Float64(), data: T.float64(ids.map(() => rnd())) },
        ]),
      );
    }
    const { record } = await sink.commit({ state: {} });
    const MB = 1024 * 1024;
    const sizes = record.files.map((f) => fs.statSync(path.join(out, f.key)).size);
    const total = sizes.reduce((a, b) => a + b, 0);
    console.log(
      `rolling: ${sizes.length} files, total ${(total / MB).toFixed(2)} MB, sizes MB: ${sizes.map((s) => (s / MB).toFixed(2)).join(' ')}`,
    );
    expect(total).toBeGreaterThan(4.5 * MB);
    expect(sizes.length).toBeGreaterThanOrEqual(Math.floor(total / (1.25 * MB)));
    expect(sizes.length).toBeLessThanOrEqual(Math.ceil(total / (0.75 * MB)));
    // Every file but the last lands within ±25% of the target.
    for (const s of sizes.slice(0, -1)) {
      expect(s).toBeGreaterThan(0.75 * MB);
      expect(s).toBeLessThan(1.25 * MB);
    }
    expect(record.files.map((f) => f.bytes)).toEqual(sizes);
    const n = await db.one(
      `SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS d FROM read_parquet('${visibleGlob(out)}')`,
    );
    expect(n).toEqual({ n: rowsPerBatch * batches, d: rowsPerBatch * batches });
    expect(listFiles(out).filter((f) => f.endsWith('.parquet'))).toHaveLength(sizes.length);
  });
});
