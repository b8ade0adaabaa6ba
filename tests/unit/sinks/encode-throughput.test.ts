/**
 * A measurement, not a timed assertion: 1M rows × 12 columns streamed through the sink and its
 * encoder worker. Prints rows/s and MB/s (Arrow IPC in) so regressions are visible in the log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Float64, Int64, TimestampMicrosecond, Utf8 } from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createFileSink } from '../../../host/sinks/file-sink.js';
import { newRunId } from '../../../host/sinks/layout.js';
import { batchToIpc } from '../../../host/sinks/parquet/arrow.js';
import { createParquetEncoder } from '../../../host/sinks/parquet/encoder.js';
import { createLocalStore } from '../../../host/sinks/store/local.js';
import { batchOf, ctx, type Duck, duck, T, tempDir, visibleGlob } from './helpers.js';

const ROWS = 1_000_000;
const PER_BATCH = 50_000;

let db: Duck;
beforeAll(async () => {
  db = await duck();
});
afterAll(() => db.close());

function makeBatch(start: number, n: number) {
  const idx = Array.from({ length: n }, (_, i) => start + i);
  return batchOf([
    { name: 'id', type: new Int64(), nullable: false, data: T.int64(idx.map(BigInt)) },
    { name: 'customer_id', type: new Int64(), data: T.int64(idx.map((i) => BigInt(i % 50_000))) },
    { name: 'qty', type: new Int64(), data: T.int64(idx.map((i) => BigInt(i % 17))) },
    { name: 'store_id', type: new Int64(), data: T.int64(idx.map((i) => BigInt(i % 300))) },
    { name: 'amount', type: new Float64(), data: T.float64(idx.map((i) => (i % 10_007) * 1.37)) },
    { name: 'discount', type: new Float64(), data: T.float64(idx.map((i) => (i % 7) * 0.05)) },
    { name: 'weight', type: new Float64(), data: T.float64(idx.map((i) => Math.sin(i))) },
    {
      name: 'price',
      type: T.decimal([0n], 12, 2).type,
      data: T.decimal(
        idx.map((i) => BigInt(i % 100_000)),
        12,
        2,
      ),
    },
    { name: 'day', type: T.date([0]).type, data: T.date(idx.map((i) => 19000 + (i % 1000))) },
    {
      name: 'ts',
      type: new TimestampMicrosecond('UTC'),
      data: T.tsMicros(
        idx.map((i) => 1_700_000_000_000_000n + BigInt(i) * 1_000_003n),
        'UTC',
      ),
    },
    { name: 'active', type: T.bool([]).type, data: T.bool(idx.map((i) => i % 2 === 0)) },
    { name: 'name', type: new Utf8(), data: T.utf8(idx.map((i) => `customer_${i % 50_000}`)) },
  ]);
}

test('encode throughput: 1M rows × 12 columns through the worker', async () => {
  const batches = [];
  for (let s = 0; s < ROWS; s += PER_BATCH) batches.push(makeBatch(s, Math.min(PER_BATCH, ROWS - s)));
  const ipcBytes = batches.reduce((n, b) => n + batchToIpc(b).byteLength, 0);

  // Reference in the same run: parquet-wasm in-process with the same properties, batch by batch.
  const tr0 = performance.now();
  for (const b of batches) {
    const t = pw.Table.fromIPCStream(batchToIpc(b));
    pw.writeParquet(
      t,
      new pw.WriterPropertiesBuilder()
        .setCompression(pw.Compression.ZSTD)
        .setDictionaryPageSizeLimit(64 * 1024)
        .setMaxRowGroupSize(122_880)
        .build(),
    );
  }
  const refSecs = (performance.now() - tr0) / 1000;

  // Start the worker first: its start-up (slow under tsx) is not encoding time.
  const encoder = createParquetEncoder();
  const warm = encoder.open(path.join(tempDir(), 'warm.parquet'), { compression: 'zstd', rowGroupSize: 10 });
  await warm.write(batchToIpc(makeBatch(0, 10)), 10);
  await warm.close();

  const out = tempDir();
  const sink = createFileSink({
    encoder,
    store: createLocalStore(out),
    layout: { assetName: 'bench' },
    partitionBy: [],
    compression: 'zstd',
    rowGroupSize: 122_880,
    targetFileSizeMb: 1024,
  });
  await sink.open(ctx(newRunId()));
  const t0 = performance.now();
  for (const b of batches) await sink.write(b);
  const tWrites = performance.now();
  const { record } = await sink.commit({ state: {} });
  const t1 = performance.now();

  const secs = (t1 - t0) / 1000;
  const MB = 1024 * 1024;
  const parquetBytes = record.files.reduce((n, f) => n + fs.statSync(path.join(out, f.key)).size, 0);
  console.log(
    `encode: ${ROWS} rows × 12 cols in ${secs.toFixed(2)} s (writes returned after ${((tWrites - t0) / 1000).toFixed(2)} s) → ` +
      `${(ROWS / secs / 1e6).toFixed(2)} Mrows/s, ${(ipcBytes / MB / secs).toFixed(1)} MB/s Arrow IPC in; ` +
      `IPC ${(ipcBytes / MB).toFixed(1)} MB → Parquet zstd ${(parquetBytes / MB).toFixed(1)} MB in ${record.files.length} file(s) ` +
      `; reference in-process writeParquet per batch: ${refSecs.toFixed(2)} s (worker/reference ${(secs / refSecs).toFixed(2)})`,
  );
  await encoder.terminate();
  expect(record.rows).toBe(ROWS);
  const r = await db.one(
    `SELECT count(*)::INT AS n, sum(qty)::BIGINT AS q FROM read_parquet('${visibleGlob(out)}')`,
  );
  expect(r.n).toBe(ROWS);
  let q = 0n;
  for (let i = 0; i < ROWS; i++) q += BigInt(i % 17);
  expect(r.q).toBe(q);
}, 120_000);
