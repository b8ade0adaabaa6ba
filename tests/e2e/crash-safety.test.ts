/**
 * Crash safety (architecture §6): SIGKILL at random moments of a 200k-row run, then a rerun, must
 * always leave every source row exactly once in read_parquet('<out>/**\/*.parquet').
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCsv } from '../../bench/gen-csv.js';
import { BIN, cliEnv, REPO, runCli } from '../helpers/cli.js';
import { duck, visibleCount } from '../helpers/duckdb.js';

const ROWS = 200_000;
const TRIALS = 20;
let tmp: string;
let inDir: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-crash-'));
  inDir = path.join(tmp, 'in');
  await mkdir(inDir);
  await generateCsv(path.join(inDir, 'orders.csv'), ROWS, 11);
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

function args(dir: string) {
  return ['run', '--config', 'tests/fixtures/jobs/orders.yaml', '--state-dir', path.join(dir, 'state')];
}
function env(dir: string) {
  return { IN_DIR: inDir, OUT_DIR: path.join(dir, 'out') };
}

/** Start a run and SIGKILL it after `ms`; resolves when it is gone. */
function killAfter(dir: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args(dir)], {
      cwd: REPO,
      env: cliEnv(env(dir)),
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function commitRecords(dir: string): Promise<string[]> {
  return readdir(path.join(dir, 'out', '_dativo', 'commits')).catch(() => []);
}

describe('SIGKILL at random moments', () => {
  it(`${TRIALS} trials: after the rerun every row is there exactly once`, async () => {
    // A clean run tells how long a run takes, so kills land all over it.
    const probe = path.join(tmp, 'probe');
    const t0 = Date.now();
    const clean = await runCli(args(probe), { env: env(probe) });
    const duration = Date.now() - t0;
    expect(clean.code, clean.stderr).toBe(0);

    const outcomes = { beforeRecord: 0, afterRecord: 0 };
    for (let i = 0; i < TRIALS; i++) {
      const dir = path.join(tmp, `trial-${i}`);
      const at = 150 + Math.floor(Math.random() * duration);
      await killAfter(dir, at);
      if ((await commitRecords(dir)).length === 0) {
        outcomes.beforeRecord++;
        expect(await visibleCount(path.join(dir, 'out')), `trial ${i} killed at ${at} ms`).toBe(0);
      } else {
        outcomes.afterRecord++;
      }
      const rerun = await runCli(args(dir), { env: env(dir) });
      expect(rerun.code, `trial ${i} (killed at ${at} ms): ${rerun.stderr}`).toBe(0);
      const [row] = await duck<{ n: bigint; d: bigint }>(
        `SELECT count(*) AS n, count(DISTINCT order_id) AS d FROM read_parquet('${dir}/out/**/*.parquet')`,
      );
      expect(Number(row?.n), `trial ${i} killed at ${at} ms`).toBe(ROWS);
      expect(Number(row?.d)).toBe(ROWS);
      await rm(dir, { recursive: true, force: true });
    }
    console.log(
      `crash trials: run takes ~${duration} ms; ${outcomes.beforeRecord} killed before the commit record, ${outcomes.afterRecord} after`,
    );
  });

  it('a run killed after its commit record is written is completed by the next start', async () => {
    const dir = path.join(tmp, 'after-record');
    const killed = await runCli(args(dir), { env: { ...env(dir), DATIVO_TEST_CRASH_AT: 'after-record' } });
    expect(killed.signal).toBe('SIGKILL');
    expect(await commitRecords(dir)).toHaveLength(1);
    expect(await visibleCount(path.join(dir, 'out'))).toBeLessThan(ROWS);

    const next = await runCli([...args(dir), '--json'], { env: env(dir) });
    expect(next.code, next.stderr).toBe(0);
    const report = JSON.parse(next.stdout);
    expect(report.recovery.rolledForward).toHaveLength(1);
    expect(report.status).toBe('nothing_new');
    expect(await visibleCount(path.join(dir, 'out'))).toBe(ROWS);
  });

  it('a run killed before its commit record leaves nothing visible, and the next start cleans its staging', async () => {
    const dir = path.join(tmp, 'before-record');
    const killed = await runCli(args(dir), { env: { ...env(dir), DATIVO_TEST_CRASH_AT: 'before-record' } });
    expect(killed.signal).toBe('SIGKILL');
    expect(await commitRecords(dir)).toHaveLength(0);
    expect(await visibleCount(path.join(dir, 'out'))).toBe(0);
    const staging = await readdir(path.join(dir, 'out', '_dativo', 'staging'));
    expect(staging.length).toBe(1);

    const next = await runCli([...args(dir), '--json'], { env: env(dir) });
    expect(next.code, next.stderr).toBe(0);
    expect(JSON.parse(next.stdout).recovery.cleaned).toHaveLength(1);
    expect(await visibleCount(path.join(dir, 'out'))).toBe(ROWS);
    const stagingLeft = await readdir(path.join(dir, 'out', '_dativo', 'staging')).catch(() => []);
    expect(stagingLeft).toEqual([]);
  });
});
