/**
 * The original's s3/minio job files through the real CLI (`node bin/dativo.js run --json`) against
 * radosgw, including a real SIGKILL after the commit record (DATIVO_TEST_CRASH_AT=after-record).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportOf, runCli } from '../../helpers/cli.js';
import { duck } from '../../helpers/duckdb.js';
import {
  clearPrefix,
  download,
  head,
  JOB_BUCKET,
  JOBS,
  listKeys,
  METADATA_KEYS,
  ORIGINAL,
  parquetKeys,
  REPO,
  type Rgw,
  startRgw,
  visibleRows,
} from './radosgw.js';

let rgw: Rgw;
let tmp: string;

describe('original job files → radosgw through the CLI', () => {
  beforeAll(async () => {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
      cwd: REPO,
      stdio: 'inherit',
    });
    rgw = await startRgw();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-s3-cli-'));
  });
  afterAll(async () => {
    rgw?.client.destroy();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function run(
    name: string,
    prefix: string,
    extraEnv: Record<string, string> = {},
    clear = true,
    stateName = name,
  ) {
    if (clear) await clearPrefix(rgw.client, JOB_BUCKET, prefix);
    const r = await runCli(
      [
        'run',
        '--config',
        `${JOBS}/${name}.yaml`,
        '--json',
        '--state-dir',
        path.join(tmp, stateName, 'state'),
      ],
      { cwd: ORIGINAL, env: { ...rgw.env, ...extraEnv } },
    );
    return r;
  }

  it('csv_person_to_s3.yaml → exit 0, 10 rows with the spec §6 metadata', async () => {
    const prefix = 'raw/csv/person/';
    const r = await run('csv_person_to_s3', prefix);
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).rows.written).toBe(10);
    expect(await visibleRows(rgw.client, JOB_BUCKET, prefix)).toBe(10);
    const [key] = await parquetKeys(rgw.client, JOB_BUCKET, prefix);
    const h = await head(rgw.client, JOB_BUCKET, key as string);
    for (const k of METADATA_KEYS) expect(h.Metadata, k).toHaveProperty(k);
  });

  it('csv_product_to_minio.yaml → exit 1, 11 rows', async () => {
    const prefix = 'raw/csv/product/';
    const r = await run('csv_product_to_minio', prefix);
    expect(r.code, r.stderr).toBe(1);
    expect(reportOf(r).rows.written).toBe(11);
    expect(await visibleRows(rgw.client, JOB_BUCKET, prefix)).toBe(11);
  });

  it('csv_malformed_data.yaml → exit 2, nothing under the prefix', async () => {
    const prefix = 'raw/csv/product_malformed/';
    const r = await run('csv_malformed_data', prefix);
    expect(r.code, r.stderr).toBe(2);
    expect(await listKeys(rgw.client, JOB_BUCKET, prefix)).toEqual([]);
  });

  it('wrong secret → exit 2, AUTHENTICATION_FAILED, the secret in neither stdout nor stderr', async () => {
    const secret = 'Cli-Wrong-Secret-0123';
    const r = await run('csv_person_to_s3', 'raw/csv/person/', { AWS_SECRET_ACCESS_KEY: secret });
    expect(r.code).toBe(2);
    expect(reportOf(r).errors[0].code).toBe('AUTHENTICATION_FAILED');
    expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('SIGKILL after the commit record: the next run rolls the commit forward, its rows exactly once', async () => {
    const prefix = 'raw/csv/person/';
    const killed = await run(
      'csv_person_to_s3',
      prefix,
      { DATIVO_TEST_CRASH_AT: 'after-record' },
      true,
      'crash',
    );
    expect(killed.signal).toBe('SIGKILL');
    expect(await parquetKeys(rgw.client, JOB_BUCKET, prefix)).toEqual([]);
    const [record] = await listKeys(rgw.client, JOB_BUCKET, `${prefix}_dativo/commits/`);
    const crashedRun = path.basename(record as string, '.json');

    const next = await run('csv_person_to_s3', prefix, {}, false, 'crash');
    expect(next.code, next.stderr).toBe(0);
    const report = reportOf(next);
    expect(report.recovery.rolledForward).toEqual([crashedRun]);
    // The rolled-forward record carries the source state: the rerun finds nothing new.
    expect(report.status).toBe('nothing_new');
    const keys = await parquetKeys(rgw.client, JOB_BUCKET, prefix);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toContain(crashedRun);
    const dir = await download(rgw.client, JOB_BUCKET, prefix);
    const [r] = await duck<{ n: bigint; d: bigint }>(
      `SELECT count(*) AS n, count(DISTINCT BusinessEntityID) AS d FROM read_parquet('${dir}/**/*.parquet')`,
    );
    expect([Number(r?.n), Number(r?.d)]).toEqual([10, 10]);
  });
});
