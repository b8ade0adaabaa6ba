/**
 * Original-format jobs that used to fail or misbehave: the original reader's null literals, a
 * recipe's variables the job never uses, and no run leaving folders in the temp directory.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, reportOf, runCli } from '../../helpers/cli.js';
import { duck, visibleCount } from '../../helpers/duckdb.js';

const FIXTURE = path.join(REPO, 'tests/fixtures/original-compat');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'compat-jobs-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

// Row 1 has values; rows 2-5 spell null the four ways the original reader did, quoted and not.
const NULLS_CSV = [
  'id,sensor,reading,count,day',
  '1,a,1.5,10,2024-01-02',
  '2,b,NULL,null,None',
  '3,c,"",None,""',
  '4,d,null,"NULL",NULL',
  '5,e,None,"",null',
  '',
].join('\n');

async function project(name: string): Promise<string> {
  const dir = path.join(tmp, name);
  await cp(FIXTURE, dir, { recursive: true });
  await mkdir(path.join(dir, 'data'), { recursive: true });
  await writeFile(path.join(dir, 'data/nulls.csv'), NULLS_CSV);
  return dir;
}

/** Env without any S3/AWS/Airbyte variable, so the test proves none is needed. */
function bareEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...extra };
  for (const k of Object.keys(process.env)) {
    if (/^(S3_|AWS_|MINIO_|AIRBYTE_)/.test(k)) env[k] = undefined;
  }
  return env;
}

describe('null literals of the original CSV reader', () => {
  it('"", NULL, null and None load as nulls in a strict run; DuckDB counts them', async () => {
    const dir = await project('nulls');
    const r = await runCli(['run', '--config', 'jobs/readings_nulls.yaml', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).rows).toEqual({ read: 5, written: 5, invalid: 0 });
    const [c] = await duck<{ n: bigint; reading: bigint; count: bigint; day: bigint; sum: number }>(
      `SELECT count(*) AS n, count(*) - count(reading) AS reading, count(*) - count("count") AS count,
              count(*) - count(day) AS day, sum(reading) AS sum
         FROM read_parquet('${dir}/out/**/*.parquet')`,
    );
    expect([Number(c?.n), Number(c?.reading), Number(c?.count), Number(c?.day), c?.sum]).toEqual([
      5, 4, 4, 4, 1.5,
    ]);
    const types = await duck<{ column_name: string; column_type: string }>(
      `DESCRIBE SELECT * FROM read_parquet('${dir}/out/**/*.parquet', hive_partitioning = false)`,
    );
    expect(types.map((t) => `${t.column_name}:${t.column_type}`)).toEqual([
      'id:BIGINT',
      'sensor:VARCHAR',
      'reading:DOUBLE',
      'count:BIGINT',
      'day:DATE',
    ]);
  });

  it('null_values: [] restores the literal reading: NULL in an integer column fails strict mode', async () => {
    const dir = await project('nulls-literal');
    const r = await runCli(['run', '--config', 'jobs/readings_nulls_literal.yaml', '--json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(reportOf(r).rows.invalid).toBe(4);
    expect(r.stderr).toContain('line 3, field reading: not a valid double');
    expect(reportOf(r).validation.counts).toEqual([
      { field: 'reading', rule: 'type_mismatch', count: 4 },
      { field: 'count', rule: 'type_mismatch', count: 4 },
      { field: 'day', rule: 'type_mismatch', count: 4 },
    ]);
    expect(await visibleCount(path.join(dir, 'out'))).toBe(0);
  });
});

describe("a recipe's variables are needed only where the job uses them", () => {
  it('a native-engine job runs with the Airbyte-only variables of its recipe unset', async () => {
    const dir = await project('native-vars');
    await cp(path.join(dir, 'recipes-airbyte/connectors'), path.join(dir, 'connectors'), { recursive: true });
    const v = await runCli(['validate', '--config', 'jobs/readings_nulls.yaml'], {
      cwd: dir,
      env: bareEnv(),
    });
    expect(v.code, v.stderr).toBe(0);
    const r = await runCli(['run', '--config', 'jobs/readings_nulls.yaml', '--json'], {
      cwd: dir,
      env: bareEnv(),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(await visibleCount(path.join(dir, 'out'))).toBe(5);
  });

  it('an S3 job giving every value under connection.s3 validates with no S3_*/AWS_* variable set', async () => {
    const dir = await project('s3-vars');
    const r = await runCli(['validate', '--config', 'jobs/readings_s3.yaml'], { cwd: dir, env: bareEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('valid');
  });

  it('a variable that is used and unset names the key that needs it', async () => {
    const dir = await project('s3-missing-bucket');
    const job = (await readFile(path.join(dir, 'jobs/readings_s3.yaml'), 'utf8')).replace(
      /^ {6}bucket: .*\n/m,
      '',
    );
    await writeFile(path.join(dir, 'jobs/no_bucket.yaml'), job);
    const r = await runCli(['validate', '--config', 'jobs/no_bucket.yaml'], { cwd: dir, env: bareEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('S3_BUCKET');
    expect(r.stderr).toContain('target.connection.bucket');
  });
});

describe('the temp directory', () => {
  async function dativoDirs(tempDir: string): Promise<string[]> {
    return (await readdir(tempDir)).filter((n) => n.startsWith('dativo-'));
  }

  it('keeps no dativo-* folder after a successful run or a failed one', async () => {
    const dir = await project('tempdir');
    const tempDir = path.join(dir, 'tmp');
    await mkdir(tempDir);
    const env = { TMPDIR: tempDir };
    const ok = await runCli(['run', '--config', 'jobs/readings_nulls.yaml'], { cwd: dir, env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(await dativoDirs(tempDir)).toEqual([]);
    const failed = await runCli(['run', '--config', 'jobs/readings_nulls_literal.yaml'], { cwd: dir, env });
    expect(failed.code).toBe(2);
    expect(await dativoDirs(tempDir)).toEqual([]);
  });
});

describe('keys: explained, ignored on purpose, missing', () => {
  it('validate --explain lists each key of an original job as used, migrated or ignored, with why', async () => {
    const dir = await project('explain');
    const r = await runCli(['validate', '--config', 'jobs/readings_explain.yaml', '--explain', '--json'], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    const explain = JSON.parse(r.stdout).results[0].explain as { key: string; fate: string; why: string }[];
    const fate = Object.fromEntries(explain.map((e) => [e.key, e.fate]));
    expect(fate).toMatchObject({
      tenant_id: 'used',
      environment: 'ignored',
      source_connector: 'ignored',
      asset: 'ignored',
      asset_path: 'used',
      'retry_config.max_attempts': 'migrated',
      'logging.redaction': 'ignored',
      catalog: 'ignored',
    });
    expect(explain.every((e) => e.why.length > 10)).toBe(true);
    expect(explain.map((e) => e.key).slice(0, 3)).toEqual(['tenant_id', 'environment', 'source_connector']);
  });

  it('keys ignored on purpose are warned about with their position; the run still succeeds', async () => {
    const dir = await project('ignored-keys');
    const r = await runCli(['run', '--config', 'jobs/readings_explain.yaml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(dir, 'jobs/readings_explain.yaml');
    const lines = (await readFile(file, 'utf8')).split('\n');
    const lineOf = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix)) + 1;
    expect(r.stderr).toContain(
      `warning: ${file}:${lineOf('  redaction:')}:3, key logging.redaction: ignored on purpose: secrets are always masked`,
    );
    expect(r.stderr).toContain(
      `warning: ${file}:${lineOf('catalog:')}:1, key catalog: ignored on purpose: pushing lineage`,
    );
    expect(r.stderr).not.toMatch(/warning: .*environment/);
  });

  it('a contract without version says "missing required key version" at its file:line:col; exit 2', async () => {
    const dir = await project('no-version');
    const job = (await readFile(path.join(dir, 'jobs/readings_nulls.yaml'), 'utf8')).replace(
      'contracts/readings.yaml',
      'contracts/readings_no_version.yaml',
    );
    await writeFile(path.join(dir, 'jobs/no_version.yaml'), job);
    const r = await runCli(['validate', '--config', 'jobs/no_version.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/readings_no_version\.yaml:\d+:\d+.*missing required key "version"/);
    expect(r.stderr).not.toContain('undefined');
  });
});
