/** Incremental runs by file modification time, and the per-job lock (live holder vs stale lock). */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCsv } from '../../bench/gen-csv.js';
import { BIN, cliEnv, REPO, reportOf, runCli } from '../helpers/cli.js';
import { visibleCount } from '../helpers/duckdb.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-incr-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

function runOrders(dir: string, extra: string[] = []) {
  return runCli(
    [
      'run',
      '--config',
      'tests/fixtures/jobs/orders.yaml',
      '--state-dir',
      path.join(dir, 'state'),
      '--json',
      ...extra,
    ],
    {
      env: { IN_DIR: path.join(dir, 'in'), OUT_DIR: path.join(dir, 'out') },
    },
  );
}

describe('incremental by file_modified_time (the recipe strategy applies without an incremental map)', () => {
  it('skips unchanged files, then re-ingests only the touched one', async () => {
    const dir = path.join(tmp, 'incremental');
    await mkdir(path.join(dir, 'in'), { recursive: true });
    await generateCsv(path.join(dir, 'in', 'a.csv'), 1000, 1, 1);
    await generateCsv(path.join(dir, 'in', 'b.csv'), 500, 2, 100_001);

    const first = await runOrders(dir);
    expect(first.code, first.stderr).toBe(0);
    expect(reportOf(first).rows.written).toBe(1500);

    const second = await runOrders(dir);
    expect(second.code, second.stderr).toBe(0);
    expect(reportOf(second).status).toBe('nothing_new');
    expect(reportOf(second).rows.written).toBe(0);
    expect(await visibleCount(path.join(dir, 'out'))).toBe(1500);

    const later = new Date(Date.now() + 5000);
    await utimes(path.join(dir, 'in', 'b.csv'), later, later);
    const third = await runOrders(dir);
    expect(third.code, third.stderr).toBe(0);
    expect(reportOf(third).rows.written).toBe(500);
    expect(await visibleCount(path.join(dir, 'out'))).toBe(2000);

    // The state file is a cache of the target's commits: with the output deleted, everything is read again.
    await rm(path.join(dir, 'out'), { recursive: true, force: true });
    const fourth = await runOrders(dir);
    expect(fourth.code, fourth.stderr).toBe(0);
    expect(reportOf(fourth).rows.written).toBe(1500);
    expect(await visibleCount(path.join(dir, 'out'))).toBe(1500);
  });
});

describe('one run per job at a time', () => {
  it('a second concurrent run fails at once and cleanly; the first proceeds', async () => {
    const dir = path.join(tmp, 'concurrent');
    await mkdir(path.join(dir, 'in'), { recursive: true });
    await generateCsv(path.join(dir, 'in', 'big.csv'), 400_000, 3);
    const lockFile = path.join(dir, 'state', 'test_tenant', 'csv.orders.state.json.lock');

    const first = spawn(
      process.execPath,
      [BIN, 'run', '--config', 'tests/fixtures/jobs/orders.yaml', '--state-dir', path.join(dir, 'state')],
      {
        cwd: REPO,
        env: cliEnv({ IN_DIR: path.join(dir, 'in'), OUT_DIR: path.join(dir, 'out') }),
        stdio: 'ignore',
      },
    );
    const firstExit = new Promise<number | null>((resolve) => first.on('close', (code) => resolve(code)));
    for (let i = 0; i < 200 && !existsSync(lockFile); i++) await new Promise((r) => setTimeout(r, 25));
    expect(existsSync(lockFile)).toBe(true);

    // Hold the first run still while the second tries, so the test never depends on which is faster.
    first.kill('SIGSTOP');
    const second = await runOrders(dir).finally(() => first.kill('SIGCONT'));
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('STATE_LOCKED');
    expect(second.stderr).toMatch(/another run of this job is in progress/i);
    expect(second.stderr).not.toMatch(/\n\s+at /);

    expect(await firstExit).toBe(0);
    expect(await visibleCount(path.join(dir, 'out'))).toBe(400_000);
    expect(existsSync(lockFile)).toBe(false);
  });

  it('a stale lock (its process is gone) is taken over', async () => {
    const dir = path.join(tmp, 'stale');
    await mkdir(path.join(dir, 'in'), { recursive: true });
    await mkdir(path.join(dir, 'state', 'test_tenant'), { recursive: true });
    await generateCsv(path.join(dir, 'in', 'a.csv'), 100, 4);
    const lockFile = path.join(dir, 'state', 'test_tenant', 'csv.orders.state.json.lock');
    // a pid far above pid_max's default: no such process
    await writeFile(
      lockFile,
      JSON.stringify({
        pid: 4_194_000,
        startTime: 12345,
        host: os.hostname(),
        acquiredAt: '2026-01-01T00:00:00Z',
      }),
    );

    const r = await runOrders(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).rows.written).toBe(100);
    expect(existsSync(lockFile)).toBe(false);
  });
});
