/**
 * examples/postgres-to-s3 as documented: PostgreSQL and radosgw from scripts/services, the
 * example's seed.sql through psql (into a table of this test's own), the job through the built
 * CLI into a bucket of this test's own; the Parquet downloaded and read back by DuckDB. A second
 * run finds nothing new; an updated row is read again; no secret reaches the output.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBucket } from '../../../host/sinks/store/s3.js';
import { reportOf, runCli } from '../../helpers/cli.js';
import { duck } from '../../helpers/duckdb.js';
import { startService } from '../databases/harness.js';
import { clearPrefix, download, REPO, type Rgw, startRgw } from '../s3-sink/radosgw.js';

const BUCKET = 'dativo-example-pg-s3';
const TABLE = 'examples.orders_example_test';
const PREFIX = 'examples/orders-test';
let rgw: Rgw;
let pgEnv: Record<string, string>;
let tmp: string;

function psql(args: string[]): string {
  return execFileSync('psql', ['-v', 'ON_ERROR_STOP=1', '-Atq', ...args], {
    cwd: REPO,
    env: { ...process.env, ...pgEnv },
    encoding: 'utf8',
  });
}

beforeAll(async () => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: REPO,
    stdio: 'inherit',
  });
  pgEnv = startService('postgres');
  rgw = await startRgw();
  await ensureBucket({ ...rgw.conn, bucket: BUCKET });
  await clearPrefix(rgw.client, BUCKET, PREFIX);
  psql(['-v', `table=${TABLE}`, '-f', 'examples/postgres-to-s3/seed.sql']);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-example-pg-s3-'));
});
afterAll(async () => {
  rgw?.client.destroy();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const run = (json = true) =>
  runCli(
    [
      'run',
      '--config',
      'examples/postgres-to-s3/job.yaml',
      '--state-dir',
      path.join(tmp, 'state'),
      ...(json ? ['--json'] : []),
    ],
    {
      env: { ...pgEnv, ...rgw.env, S3_BUCKET: BUCKET, S3_PREFIX: PREFIX, ORDERS_TABLE: TABLE },
    },
  );

describe('examples/postgres-to-s3', () => {
  it('copies the 50 seeded orders into S3 as typed Parquet, then only what changed', async () => {
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    expect(reportOf(first).rows.written).toBe(50);
    const dir = await download(rgw.client, BUCKET, PREFIX);
    const glob = `read_parquet('${dir}/**/*.parquet', hive_partitioning = false)`;
    const [agg] = await duck<{ n: bigint; d: bigint; sum: string; unpaid: bigint; amount_t: string }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS d, sum(amount)::VARCHAR AS sum,
              count(*) FILTER (WHERE NOT paid) AS unpaid, any_value(typeof(amount)) AS amount_t FROM ${glob}`,
    );
    // amounts are n * 12.50 for n = 1..50; every third order is unpaid.
    expect([Number(agg?.n), Number(agg?.d), agg?.sum, Number(agg?.unpaid), agg?.amount_t]).toEqual([
      50,
      50,
      '15937.50',
      16,
      'DECIMAL(12,2)',
    ]);

    const nothing = await run();
    expect(nothing.code, nothing.stderr).toBe(0);
    expect(reportOf(nothing).rows.written).toBe(0);

    psql(['-c', `UPDATE ${TABLE} SET paid = true, updated_at = '2024-06-01 00:00:00' WHERE id = 3`]);
    const changed = await run(false);
    expect(changed.code, changed.stderr).toBe(0);
    const after = await download(rgw.client, BUCKET, PREFIX);
    const [v] = await duck<{ n: bigint; paid: boolean }>(
      `SELECT count(*) AS n, bool_or(paid) AS paid FROM read_parquet('${after}/**/*.parquet', hive_partitioning = false) WHERE id = 3`,
    );
    expect([Number(v?.n), v?.paid]).toEqual([2, true]);
    for (const r of [first, nothing, changed]) {
      expect(r.stdout + r.stderr).not.toContain(pgEnv.PGPASSWORD as string);
      expect(r.stdout + r.stderr).not.toContain(rgw.env.AWS_SECRET_ACCESS_KEY as string);
    }
  });
});
