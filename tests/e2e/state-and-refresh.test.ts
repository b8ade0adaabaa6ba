/** Rerun, state and full refresh as a user meets them: plain words, where state lives, replace not append. */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/cli.js';
import { visibleCount } from '../helpers/duckdb.js';

let dir: string;
const JOB = 'examples/quickstart/job.yaml';
const out = () => path.join(dir, 'output/quickstart');

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-state-'));
  await cp(path.join(REPO, 'examples/quickstart'), path.join(dir, 'examples/quickstart'), {
    recursive: true,
  });
  // The quickstart's contract lives under assets/ (its asset_path is relative to the job file).
  await cp(path.join(REPO, 'assets/quickstart'), path.join(dir, 'assets/quickstart'), { recursive: true });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('rerun, state show/reset, --full-refresh', () => {
  it('a rerun says "nothing new since" the last commit and where the state is, not "aborted"', async () => {
    expect((await runCli(['run', '--config', JOB], { cwd: dir })).code).toBe(0);
    const again = await runCli(['run', '--config', JOB], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(
      /job: nothing new since the last commit \(run r\d{8}T\d+-[0-9a-f]{6}, 20\d\d-/,
    );
    expect(again.stderr).toContain(path.join(dir, '.local/state/quickstart/csv.sales_orders.state.json'));
    expect(again.stderr).not.toContain('aborted');
    expect(await visibleCount(out())).toBe(10);
  });

  it('state show prints the state file, the commit it caches and the cursors', async () => {
    const r = await runCli(['state', 'show', '--config', JOB, '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout);
    expect(shown.statePath).toBe(path.join(dir, '.local/state/quickstart/csv.sales_orders.state.json'));
    expect(shown.commit).toMatch(/^r\d{8}T/);
    expect(Object.keys(shown.state)).toEqual([
      `file_${path.join(dir, 'examples/quickstart/data/sales_orders.csv')}`,
    ]);
  });

  it('--full-refresh re-reads everything and replaces the earlier data (no duplicates)', async () => {
    const r = await runCli(['run', '--config', JOB, '--full-refresh', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).rows.written).toBe(10);
    expect(await visibleCount(out())).toBe(10);
  });

  it('state reset needs --yes, then the next run re-reads and appends', async () => {
    const refused = await runCli(['state', 'reset', '--config', JOB], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('add --yes');
    const reset = await runCli(['state', 'reset', '--config', JOB, '--yes'], { cwd: dir });
    expect(reset.code).toBe(0);
    expect(reset.stderr).toMatch(/state of job reset by commit r\d{8}T/);
    const r = await runCli(['run', '--config', JOB, '--json'], { cwd: dir });
    expect(JSON.parse(r.stdout).rows.written).toBe(10);
    expect(await visibleCount(out())).toBe(20);
  });
});
