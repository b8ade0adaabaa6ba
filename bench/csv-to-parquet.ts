/**
 * CSV → Parquet benchmark: `dativo run` (strict validation, zstd) against DuckDB's
 * `COPY (FROM read_csv(...)) TO ... (FORMAT parquet)` and, where `bench/setup-pyarrow.sh` built its
 * venv, pyarrow (read_csv with the contract's schema + write_table, zstd), on the same file in the
 * same invocation. The sides run interleaved (bench/lib/compare.ts): median, spread, ratio, peak
 * RSS and load average. Not part of CI.
 *
 *   npx tsx bench/csv-to-parquet.ts [--rows 1000000,10000000] [--runs 5]
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCsv } from './gen-csv.js';
import { compare, formatComparison, type Invocation, type Side } from './lib/compare.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const DATA = path.join(REPO, 'bench', '.data');
const PYTHON = path.join(DATA, 'pyarrow-venv', 'bin', 'python');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
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

/** A side writing into its own temp folder per run, removed after the run (untimed). */
function side(name: string, make: (tmp: string) => Omit<Invocation, 'cleanup'>): Side {
  return {
    name,
    prepare: async () => {
      const tmp = await mkdtemp(path.join(os.tmpdir(), `${name}-bench-`));
      return { ...make(tmp), cleanup: () => rm(tmp, { recursive: true, force: true }) };
    },
  };
}

function sides(inDir: string, file: string): Side[] {
  const all = [
    side('dativo', (tmp) => ({
      cmd: process.execPath,
      args: [
        'bin/dativo.js',
        'run',
        '--config',
        'bench/jobs/orders.yaml',
        '--state-dir',
        path.join(tmp, 'state'),
        '--quiet',
      ],
      cwd: REPO,
      env: { ...process.env, IN_DIR: inDir, OUT_DIR: path.join(tmp, 'out') },
    })),
    side('duckdb', (tmp) => ({
      cmd: process.execPath,
      args: ['bench/duckdb-copy.mjs', file, path.join(tmp, 'out.parquet')],
      cwd: REPO,
    })),
  ];
  if (existsSync(PYTHON)) {
    all.push(
      side('pyarrow', (tmp) => ({
        cmd: PYTHON,
        args: ['bench/pyarrow/orders_csv.py', file, path.join(tmp, 'out.parquet')],
        cwd: REPO,
      })),
    );
  } else console.log('pyarrow: skipped (no venv; `bash bench/setup-pyarrow.sh` builds it)');
  return all;
}

async function main() {
  const sizes = arg('rows', '1000000,10000000').split(',').map(Number);
  const runs = Number(arg('runs', '5'));
  console.log(
    `csv-to-parquet: ${runs} interleaved runs per side, ${os.cpus().length} cores, node ${process.version}`,
  );
  for (const rows of sizes) {
    const { dir, file, bytes } = await dataset(rows);
    console.log(`\n${rows.toLocaleString('en-US')} rows × 12 columns, ${(bytes / 1e6).toFixed(1)} MB CSV`);
    console.log(formatComparison(await compare(sides(dir, file), { runs })));
  }
}

await main();
