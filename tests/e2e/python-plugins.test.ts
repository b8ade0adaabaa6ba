/**
 * Issue #21: a reader written for the original system (a BaseReader subclass named by
 * `source.custom_reader: file.py:Class`) runs unchanged in the Python sandbox through `dativo run`;
 * DuckDB reads the output back.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';

const JOB = 'tests/fixtures/python-plugins/jobs/employee_python_reader.yaml';
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'python-plugins-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('an original custom_reader (BaseReader subclass) in the Python sandbox', () => {
  it('ingests the AdventureWorks employees: 290 rows, typed by the contract, read back by DuckDB', async () => {
    const out = path.join(tmp, 'out');
    const r = await runCli(['run', '--config', JOB, '--state-dir', path.join(tmp, 'state'), '--json'], {
      env: { OUT_DIR: out },
      timeoutMs: 300_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).rows).toEqual({ read: 290, written: 290, invalid: 0 });
    const [row] = await duck<{ n: bigint; ids: bigint; ceo: string; hours: bigint }>(
      `SELECT count(*) AS n, count(DISTINCT BusinessEntityID) AS ids,
              max(CASE WHEN BusinessEntityID = 1 THEN JobTitle END) AS ceo,
              sum(VacationHours) AS hours
         FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect(Number(row?.n)).toBe(290);
    expect(Number(row?.ids)).toBe(290);
    expect(row?.ceo).toBe('Chief Executive Officer');
    expect(Number(row?.hours)).toBeGreaterThan(0);
    // The plugin's `logging` reached the run's log through the host.
    expect(r.stderr).toContain('csv_employee_reader: reading');
  }, 320_000);

  it('a reader opening a file the job does not name gets FileNotFoundError; exit 2, nothing written', async () => {
    const out = path.join(tmp, 'outside');
    const job = 'tests/fixtures/python-plugins/jobs/outside_reader.yaml';
    const r = await runCli(['run', '--config', job, '--state-dir', path.join(tmp, 'state-outside')], {
      env: { OUT_DIR: out },
      timeoutMs: 300_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "[PLUGIN_ERROR] plugin outside_reader: next failed: FileNotFoundError: [Errno 44] No such file or directory: '/etc/passwd' (at outside_reader.py:7)",
    );
    expect(r.stderr).not.toMatch(/Traceback|\n\s+at /);
    expect(r.stderr).not.toContain('root:x:0');
    expect(existsSync(out) ? await parquetFileCount(out) : 0).toBe(0);
  }, 320_000);
});

async function parquetFileCount(dir: string): Promise<number> {
  const files = await import('tinyglobby').then((g) => g.glob('**/*.parquet', { cwd: dir }));
  return files.length;
}
