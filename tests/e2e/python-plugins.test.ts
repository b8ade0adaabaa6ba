/**
 * Issue #21: a reader written for the original system (a BaseReader subclass named by
 * `source.custom_reader: file.py:Class`) runs unchanged in the Python sandbox through `dativo run`;
 * DuckDB reads the output back.
 */
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
});
