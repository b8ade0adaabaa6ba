/** WebAssembly plugins through `dativo run`: a C reader into Parquet (read back by DuckDB), a C writer. */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, reportOf, runCli } from '../helpers/cli.js';
import { duck, visibleCount } from '../helpers/duckdb.js';

const PLUGIN_DIR = path.join(REPO, '.run/plugins');
let tmp: string;

beforeAll(async () => {
  execFileSync('bash', ['scripts/build-test-plugins.sh'], { cwd: REPO, stdio: 'inherit' });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-plugins-'));
}, 600_000);
afterAll(() => rm(tmp, { recursive: true, force: true }));

function run(job: string, dir: string, env: Record<string, string> = {}) {
  return runCli(
    ['run', '--config', `tests/fixtures/jobs/${job}.yaml`, '--state-dir', path.join(dir, 'state'), '--json'],
    {
      env: { PLUGIN_DIR, OUT_DIR: path.join(dir, 'out'), ...env },
    },
  );
}

describe('a C reader plugin', () => {
  it('runs through dativo run into Parquet, and its state resumes on the next run', async () => {
    const dir = path.join(tmp, 'reader');
    const first = await run('plugin_reader', dir);
    expect(first.code, first.stderr).toBe(0);
    expect(reportOf(first).rows.written).toBe(3000);
    // The report names the plugin that ran and its runtime, not only the recipe type (csv).
    expect(reportOf(first).source.plugin).toEqual({
      name: expect.stringMatching(/reader/),
      runtime: 'extism',
    });
    const [a] = await duck<{ n: bigint; lo: bigint; hi: bigint; name: string }>(
      `SELECT count(*) AS n, min(id) AS lo, max(id) AS hi, max_by(name, id) AS name FROM read_parquet('${dir}/out/**/*.parquet')`,
    );
    expect([Number(a?.n), Number(a?.lo), Number(a?.hi), a?.name]).toEqual([3000, 1, 3000, 'row-3000']);
    const types = await duck<{ column_name: string; column_type: string }>(
      `DESCRIBE SELECT * FROM read_parquet('${dir}/out/**/*.parquet', hive_partitioning = false)`,
    );
    expect(types.map((t) => `${t.column_name}:${t.column_type}`)).toEqual(['id:BIGINT', 'name:VARCHAR']);

    const second = await run('plugin_reader', dir);
    expect(second.code, second.stderr).toBe(0);
    const [b] = await duck<{ n: bigint; d: bigint; hi: bigint }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS d, max(id) AS hi FROM read_parquet('${dir}/out/**/*.parquet')`,
    );
    expect([Number(b?.n), Number(b?.d), Number(b?.hi)]).toEqual([6000, 6000, 6000]);
  });

  it('a plugin that traps mid-stream fails the run cleanly: exit 2, nothing visible, state unchanged', async () => {
    const dir = path.join(tmp, 'trap');
    const r = await run('plugin_reader', dir, { READER: 'trap-reader' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PLUGIN_ERROR');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await visibleCount(path.join(dir, 'out'))).toBe(0);
    const stateFiles = (
      await readdir(path.join(dir, 'state'), { recursive: true }).catch(() => [] as string[])
    ).filter((f) => f.endsWith('.state.json'));
    expect(stateFiles).toEqual([]);
  });

  it('an endless plugin is stopped at its time limit', async () => {
    const dir = path.join(tmp, 'spin');
    const t0 = Date.now();
    const r = await run('plugin_reader', dir, { READER: 'spin' });
    expect(r.code).toBe(2);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.stderr).toMatch(/time|timeout/i);
    expect(await visibleCount(path.join(dir, 'out'))).toBe(0);
  });
});

describe('a C writer plugin', () => {
  it('receives the validated batches; the host publishes its outputs atomically', async () => {
    const dir = path.join(tmp, 'writer');
    const r = await run('plugin_writer', dir);
    expect(r.code, r.stderr).toBe(0);
    const report = reportOf(r);
    expect(report.rows.written).toBe(10);
    const files = (await readdir(path.join(dir, 'out'), { recursive: true })).filter(
      (f) => !f.startsWith('_dativo'),
    );
    const summary = files.find((f) => /summary-r\d{8}T\d+-[0-9a-f]{6}\.json$/.test(f));
    expect(summary, files.join(', ')).toBeDefined();
    expect(summary).toMatch(/^dativo\/adventureworks\/csv_person\//);
    const parsed = JSON.parse(await readFile(path.join(dir, 'out', summary!), 'utf8'));
    expect(parsed.rows).toBe(10);
    expect(files.some((f) => f.endsWith('.part'))).toBe(false);
  });
});
