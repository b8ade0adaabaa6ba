/**
 * CSV → Parquet benchmark: `dativo run` (strict validation, zstd) against DuckDB's
 * `COPY (FROM read_csv(...)) TO ... (FORMAT parquet)` on the same file, in the same invocation.
 * Best of N runs each; prints rows/s, MB/s, peak RSS and the ratios. Not part of CI.
 *
 *   npx tsx bench/csv-to-parquet.ts [--rows 1000000,10000000] [--runs 3]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCsv } from './gen-csv.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const DATA = path.join(REPO, 'bench', '.data');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

interface Sample {
  ms: number;
  peakRssMb: number;
}

async function dataset(rows: number): Promise<{ dir: string; file: string; bytes: number }> {
  const dir = path.join(DATA, `orders-${rows}`);
  const file = path.join(dir, 'orders.csv');
  if (!existsSync(file)) {
    await mkdir(dir, { recursive: true });
    process.stderr.write(`generating ${rows} rows...\n`);
    await generateCsv(file, rows, 42);
  }
  return { dir, file, bytes: statSync(file).size };
}

async function dativoRun(inDir: string): Promise<Sample> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-bench-'));
  try {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [
        'bin/dativo.js',
        'run',
        '--config',
        'bench/jobs/orders.yaml',
        '--state-dir',
        path.join(tmp, 'state'),
        '--json',
      ],
      {
        cwd: REPO,
        env: { ...process.env, IN_DIR: inDir, OUT_DIR: path.join(tmp, 'out') },
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      },
    );
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`dativo run failed (${r.status}): ${r.stderr}`);
    const report = JSON.parse(r.stdout);
    return { ms, peakRssMb: report.resources.peakRssMb };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function duckdbRun(file: string): Promise<Sample> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'duckdb-bench-'));
  try {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['bench/duckdb-copy.mjs', file, path.join(tmp, 'out.parquet')], {
      cwd: REPO,
      encoding: 'utf8',
    });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`duckdb failed: ${r.stderr}`);
    return { ms, peakRssMb: JSON.parse(r.stdout).peakRssMb };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

function best(samples: Sample[]): Sample {
  return samples.reduce((a, b) => (b.ms < a.ms ? b : a));
}

const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main() {
  const sizes = arg('rows', '1000000,10000000').split(',').map(Number);
  const runs = Number(arg('runs', '3'));
  console.log(
    `csv-to-parquet: best of ${runs} runs each, ${os.cpus().length} cores, node ${process.version}`,
  );
  for (const rows of sizes) {
    const { dir, file, bytes } = await dataset(rows);
    const d: Sample[] = [];
    const k: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      d.push(await dativoRun(dir));
      k.push(await duckdbRun(file));
    }
    const bd = best(d);
    const bk = best(k);
    const maxRss = (s: Sample[]) => Math.max(...s.map((x) => x.peakRssMb));
    const line = (name: string, s: Sample, rss: number) =>
      `  ${name.padEnd(8)} ${fmt(s.ms / 1000, 2).padStart(7)} s  ${fmt(rows / (s.ms / 1000)).padStart(11)} rows/s  ${fmt(bytes / 1e6 / (s.ms / 1000), 1).padStart(7)} MB/s  peak RSS ${fmt(rss)} MB`;
    console.log(`\n${fmt(rows)} rows × 12 columns, ${fmt(bytes / 1e6, 1)} MB CSV`);
    console.log(line('dativo', bd, maxRss(d)));
    console.log(line('duckdb', bk, maxRss(k)));
    console.log(
      `  ratio    throughput ${fmt(bk.ms / bd.ms, 2)}× DuckDB, peak RSS ${fmt(maxRss(d) / maxRss(k), 2)}× DuckDB`,
    );
  }
}

await main();
