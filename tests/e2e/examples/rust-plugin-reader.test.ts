/**
 * examples/rust-plugin-reader as documented: `scripts/build-rust-plugins.sh -p csv-reader`, then
 * `dativo run --config examples/rust-plugin-reader/job.yaml`; the Parquet typed by the contract,
 * read back by DuckDB.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, reportOf, runCli } from '../../helpers/cli.js';
import { duck } from '../../helpers/duckdb.js';

let tmp: string;
beforeAll(async () => {
  execFileSync('bash', ['scripts/build-rust-plugins.sh', '-p', 'csv-reader'], {
    cwd: REPO,
    stdio: 'inherit',
  });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-example-plugin-'));
}, 900_000);
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('examples/rust-plugin-reader', () => {
  it('reads the quickstart CSV through the plugin into typed Parquet', async () => {
    const out = path.join(tmp, 'out');
    const r = await runCli(
      [
        'run',
        '--config',
        'examples/rust-plugin-reader/job.yaml',
        '--state-dir',
        path.join(tmp, 'state'),
        '--json',
      ],
      { env: { OUT_DIR: out } },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = reportOf(r);
    expect(report.rows.written).toBe(10);
    const glob = `read_parquet('${out}/**/*.parquet', hive_partitioning = false)`;
    const types = await duck<{ column_name: string; column_type: string }>(
      `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${glob})
       WHERE column_name IN ('SalesOrderID', 'OrderDate', 'SalesOrderNumber')`,
    );
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toEqual({
      SalesOrderID: 'BIGINT',
      OrderDate: expect.stringMatching(/^TIMESTAMP/),
      SalesOrderNumber: 'VARCHAR',
    });
    const [agg] = await duck<{ n: bigint; lo: bigint; hi: bigint; so: string }>(
      `SELECT count(*) AS n, min(SalesOrderID) AS lo, max(SalesOrderID) AS hi,
              min(SalesOrderNumber) AS so FROM ${glob}`,
    );
    expect([Number(agg?.n), Number(agg?.lo), Number(agg?.hi), agg?.so]).toEqual([
      10,
      43659,
      43668,
      'SO43659',
    ]);
  });
});
