/**
 * examples/api-source as documented: the example's own fake (fake-stripe.mjs) started as a
 * process, `dativo run --config examples/api-source/job.yaml` with its URL and key, Parquet read
 * back by DuckDB; the second run finds nothing new; the key appears in no output.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, reportOf, runCli } from '../../helpers/cli.js';
import { duck } from '../../helpers/duckdb.js';

const KEY = 'sk_test_example_4242';
let tmp: string;
let fake: ChildProcess;
let baseUrl: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-example-api-'));
  fake = spawn(process.execPath, [path.join(REPO, 'examples/api-source/fake-stripe.mjs')], {
    env: { ...process.env, STRIPE_API_KEY: KEY },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const first = await new Promise<string>((resolve, reject) => {
    fake.once('error', reject);
    fake.once('exit', (code) => reject(new Error(`fake-stripe.mjs exited with ${code}`)));
    createInterface({ input: fake.stdout! }).once('line', resolve);
  });
  expect(first).toMatch(/^STRIPE_BASE_URL=http:\/\/127\.0\.0\.1:\d+$/);
  baseUrl = first.slice('STRIPE_BASE_URL='.length);
});
afterAll(async () => {
  fake?.kill();
  await rm(tmp, { recursive: true, force: true });
});

describe('examples/api-source', () => {
  it('reads the 25 customers page by page, then nothing new; the key is never printed', async () => {
    const out = path.join(tmp, 'out');
    const env = { STRIPE_BASE_URL: baseUrl, STRIPE_API_KEY: KEY, OUT_DIR: out };
    const args = ['run', '--config', 'examples/api-source/job.yaml', '--state-dir', path.join(tmp, 'state')];
    const first = await runCli([...args, '--json'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(reportOf(first).rows.written).toBe(25);
    const [agg] = await duck<{ n: bigint; d: bigint; sum: number; first: string; last: string }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS d, sum(balance) AS sum,
              strftime(min(created), '%Y-%m-%d %H:%M') AS first, strftime(max(created), '%Y-%m-%d %H:%M') AS last
       FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect([Number(agg?.n), Number(agg?.d), agg?.sum, agg?.first, agg?.last]).toEqual([
      25,
      25,
      32500,
      '2024-01-01 00:00',
      '2024-01-02 00:00',
    ]);

    const second = await runCli(args, { env });
    expect(second.code, second.stderr).toBe(0);
    const [again] = await duck<{ n: bigint }>(
      `SELECT count(*) AS n FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect(Number(again?.n)).toBe(25);
    for (const r of [first, second]) expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('a wrong key fails with exit 2 and names the problem, not the key', async () => {
    const r = await runCli(
      ['run', '--config', 'examples/api-source/job.yaml', '--state-dir', path.join(tmp, 'bad-state')],
      {
        env: {
          STRIPE_BASE_URL: baseUrl,
          STRIPE_API_KEY: 'sk_test_wrong_key_9999',
          OUT_DIR: path.join(tmp, 'bad'),
        },
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[AUTHENTICATION_FAILED] stripe: GET v1/customers failed with HTTP 401');
    expect(r.stderr).not.toContain('sk_test_wrong_key_9999');
  });
});
