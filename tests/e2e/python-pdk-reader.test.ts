/**
 * Issue #21: a reader written with the Python PDK (`dativo_pdk.Reader`, `IncrementalCursor`) runs
 * in the sandbox through `dativo run`; its cursor is committed with the data, so a second run
 * continues after the first. DuckDB reads both runs back with the contract's types.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';

const JOB = 'tests/fixtures/python-plugins/jobs/pdk_rows.yaml';
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'python-pdk-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('a Python PDK reader', () => {
  it('two runs: 5000 rows each, the second after the first cursor; BIGINT and VARCHAR in DuckDB', async () => {
    const out = path.join(tmp, 'out');
    const args = ['run', '--config', JOB, '--state-dir', path.join(tmp, 'state'), '--json'];
    for (const upTo of [5000, 10000]) {
      const r = await runCli(args, { env: { OUT_DIR: out }, timeoutMs: 300_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(reportOf(r).rows).toEqual({ read: 5000, written: 5000, invalid: 0 });
      expect(r.stderr).toContain(`pdk_rows: read up to ${upTo}`);
    }
    const [row] = await duck<{
      n: bigint;
      ids: bigint;
      lo: bigint;
      hi: bigint;
      t_id: string;
      t_name: string;
    }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS ids, min(id) AS lo, max(id) AS hi,
              any_value(typeof(id)) AS t_id, any_value(typeof(name)) AS t_name
         FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect(Number(row?.n)).toBe(10_000);
    expect(Number(row?.ids)).toBe(10_000);
    expect([Number(row?.lo), Number(row?.hi)]).toEqual([1, 10_000]);
    expect([row?.t_id, row?.t_name]).toEqual(['BIGINT', 'VARCHAR']);
  }, 620_000);
});
