/**
 * Parse throughput of the native CSV source (file → Arrow utf8 batches), printed next to DuckDB's
 * whole CSV→Parquet COPY of the same file, measured in the same process tree. The parse is only the
 * first stage of our pipeline, so its share of DuckDB's time shows the budget left for the writer.
 *
 *   npx tsx bench/csv-parse.ts [rows=1000000] [file]
 *
 * Under tsx the hot loops run ~25% slower than the same code compiled by tsc/esbuild (measured:
 * ~185 vs ~250 MB per CPU-second in-memory); the built CLI is what counts.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCsvOptions } from '../host/sources/csv/options.js';
import { readCsvFile } from '../host/sources/csv/read-file.js';
import { generateCsv } from './gen-csv.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const file = process.argv[3] ?? path.join(os.tmpdir(), `dativo-bench-${rows}.csv`);
if (!existsSync(file)) {
  console.log(`generating ${rows} rows into ${file} ...`);
  await generateCsv(file, rows);
}
const mb = statSync(file).size / 1e6;

/** Wall time, and CPU time of this process (steadier than wall time on a busy machine). */
async function ours(): Promise<{ seconds: number; cpuSeconds: number; rows: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let n = 0;
  for await (const b of readCsvFile(file, { csv: parseCsvOptions({}), batchSize: 10_000 })) {
    n += b.batch.numRows;
  }
  const c = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6, rows: n };
}

async function duckdbCopy(): Promise<number | undefined> {
  const out = path.join(os.tmpdir(), `dativo-bench-duckdb-${process.pid}.parquet`);
  try {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const q = (s: string) => s.replace(/'/g, "''");
    const t0 = performance.now();
    await con.run(`COPY (SELECT * FROM read_csv('${q(file)}')) TO '${q(out)}' (FORMAT parquet)`);
    const s = (performance.now() - t0) / 1000;
    con.closeSync();
    return s;
  } catch (err) {
    console.log(`duckdb reference unavailable: ${(err as Error).message}`);
    return undefined;
  } finally {
    rmSync(out, { force: true });
  }
}

await ours(); // warm-up (JIT)
const runs = [];
for (let k = 0; k < 3; k++) runs.push(await ours());
const best = runs.reduce((a, b) => (a.seconds < b.seconds ? a : b));
const bestCpu = Math.min(...runs.map((r) => r.cpuSeconds));
console.log(
  `dativo csv parse: ${best.rows} rows, ${mb.toFixed(1)} MB in ${best.seconds.toFixed(3)} s = ` +
    `${(mb / best.seconds).toFixed(0)} MB/s, ${(best.rows / best.seconds / 1e6).toFixed(2)} M rows/s; ` +
    `CPU ${bestCpu.toFixed(3)} s = ${(mb / bestCpu).toFixed(0)} MB per CPU-second`,
);
console.log(`peak RSS after parsing: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
const ref = await duckdbCopy();
if (ref !== undefined) {
  console.log(`duckdb COPY csv → parquet: ${ref.toFixed(3)} s = ${(mb / ref).toFixed(0)} MB/s`);
  console.log(`our parse alone takes ${((best.seconds / ref) * 100).toFixed(0)}% of DuckDB's whole COPY`);
}
