// Reference run for bench/csv-to-parquet: DuckDB reads the CSV and writes Parquet (zstd).
// Prints {ms, peakRssMb} as JSON. Usage: node bench/duckdb-copy.mjs <in.csv> <out.parquet>
import { DuckDBInstance } from '@duckdb/node-api';

const [input, output] = process.argv.slice(2);
const t0 = performance.now();
const inst = await DuckDBInstance.create(':memory:');
const conn = await inst.connect();
await conn.run(`COPY (FROM read_csv('${input}')) TO '${output}' (FORMAT parquet, COMPRESSION zstd)`);
conn.closeSync();
inst.closeSync();
const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
