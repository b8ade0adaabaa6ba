/**
 * Python plugin benchmark (issue #21): (1) cold start, from the cached Pyodide memory snapshot to
 * "ready" (Deno + Pyodide up inside bubblewrap, compatibility modules loaded); (2) rows/s of
 * `dativo run` with a Python reader (bench/plugins/csv_reader.py, stdlib csv) against the same file
 * through the native CSV source. Best of N runs each. Not part of CI; timings depend on the machine.
 *
 *   npx tsx bench/python-reader.ts [--rows 100000] [--runs 3] [--starts 5]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Grant } from '../host/plugins/policy.js';
import { runtimeAssets } from '../host/plugins/python/assets.js';
import { PythonInstance } from '../host/plugins/python/instance.js';
import { pythonSandbox } from '../host/plugins/python/sandbox.js';
import { generateCsv } from './gen-csv.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const DATA = path.join(REPO, 'bench', '.data');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const GRANT: Grant = {
  plugin: 'bench',
  role: 'reader',
  hosts: [],
  secrets: [],
  env: [],
  memoryBytes: 256 * 2 ** 20,
  kernelBytes: 256 * 2 ** 20,
  timeoutMs: 120_000,
  outputBytes: 256 * 2 ** 20,
  logBytes: 2 ** 20,
  http: {} as Grant['http'],
  wasi: false,
};

/** Milliseconds from spawn to ready; the first start makes the snapshot and is not counted. */
async function coldStart(): Promise<number> {
  const assets = await runtimeAssets();
  const useSnapshot = existsSync(assets.snapshot);
  const sandbox = pythonSandbox({ assets, useSnapshot, heapMb: 256, files: [] });
  const t0 = performance.now();
  const inst = await PythonInstance.start({
    sandbox,
    grant: GRANT,
    ...(useSnapshot ? {} : { snapshotOut: assets.snapshot }),
  });
  const ms = performance.now() - t0;
  await inst.close();
  return useSnapshot ? ms : Number.NaN;
}

function dativoRun(job: string, inDir: string, tmp: string): { ms: number; rows: number } {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    ['bin/dativo.js', 'run', '--config', job, '--state-dir', path.join(tmp, 'state'), '--json'],
    {
      cwd: REPO,
      env: { ...process.env, IN_DIR: inDir, OUT_DIR: path.join(tmp, 'out') },
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  );
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`dativo run ${job} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return { ms, rows: JSON.parse(r.stdout).rows.written as number };
}

async function main(): Promise<void> {
  const rows = Number(arg('rows', '100000'));
  const runs = Number(arg('runs', '3'));
  const starts = Number(arg('starts', '5'));
  const starts_ms: number[] = [];
  for (let i = 0; i <= starts; i++) {
    const ms = await coldStart();
    if (!Number.isNaN(ms)) starts_ms.push(ms);
  }
  const dir = path.join(DATA, `orders-${rows}`);
  const file = path.join(dir, 'orders.csv');
  if (!existsSync(file)) {
    await mkdir(dir, { recursive: true });
    await generateCsv(file, rows, 42);
  }
  const result: Record<string, unknown> = {
    cold_start_ms: { best: Math.round(Math.min(...starts_ms)), all: starts_ms.map(Math.round) },
  };
  for (const [name, job] of [
    ['native_csv', 'bench/jobs/orders.yaml'],
    ['python_reader', 'bench/jobs/orders-python.yaml'],
  ] as const) {
    let best = Number.POSITIVE_INFINITY;
    let written = 0;
    for (let i = 0; i < runs; i++) {
      const tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-pybench-'));
      try {
        const r = dativoRun(job, dir, tmp);
        best = Math.min(best, r.ms);
        written = r.rows;
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }
    result[name] = {
      rows: written,
      best_ms: Math.round(best),
      rows_per_s: Math.round((written / best) * 1000),
    };
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();
