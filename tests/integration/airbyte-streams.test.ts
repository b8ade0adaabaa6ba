/**
 * Several streams in one `dativo run` (`source.streams: {stream: asset_path}`): the Stripe-like
 * test connector's customers and charges, each into its own contract's folder, read back by
 * DuckDB; the second run is incremental per stream, each from its own state.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';
import { JOBS, leftoverContainers, startDockerAndBuild, tempDir } from './airbyte-setup.js';

const JOB = path.join(JOBS, 'stripe_multi.yaml');
const KEY = 'sk_test_Zq81secretvalue';

async function run(job: string, dir: string, extra: Record<string, string> = {}) {
  const r = await runCli(['run', '--config', job, '--json'], {
    env: {
      OUT_DIR: path.join(dir, 'out'),
      STATE_DIR: path.join(dir, 'state'),
      STRIPE_API_KEY: KEY,
      ...extra,
    },
    timeoutMs: 240_000,
  });
  return { r, report: reportOf(r) };
}

beforeAll(() => startDockerAndBuild());

describe('airbyte: several streams in one run', () => {
  it('ingests customers and charges into their own tables, then only new records per stream', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'out');
    const first = await run(JOB, dir, { AS_OF: '2024-01-20T00:00:00Z' });
    expect(first.report.status, first.r.stderr.slice(-3000)).toBe('succeeded');
    expect(first.r.code).toBe(0);
    expect(first.report.rows.written).toBe(17);
    expect(Object.keys(first.report.streams)).toEqual(['customers', 'charges']);
    expect(first.report.streams.customers.rows.written).toBe(7);
    expect(first.report.streams.charges.rows.written).toBe(10);
    expect(first.report.streams.charges.job).toBe('stripe_multi.charges');
    // Each stream keeps its own cursor.
    expect(first.report.state.customers.airbyte.streams.customers.stream_state).toEqual({
      created: '2024-01-19T06:00:00Z',
    });
    expect(first.report.state.charges.airbyte.streams.charges.stream_state).toEqual({ created: 1705633200 });
    // The contracts' own layout: default/default/stripe_customers and payments/stripe/stripe_charges.
    const keys = first.report.files.map((f: { key: string }) => f.key).sort();
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^default\/default\/stripe_customers\/customers-r.*\.parquet$/);
    expect(keys[1]).toMatch(/^payments\/stripe\/stripe_charges\/charges-r.*\.parquet$/);
    const state = JSON.parse(await readFile(path.join(dir, 'state/acme/stripe.charges.state.json'), 'utf8'));
    expect(state.airbyte.streams.charges.stream_state).toEqual({ created: 1705633200 });

    const charges = await duck<{ id: string; amount: bigint; paid: boolean; created: bigint }>(
      `SELECT id, amount, paid, created FROM read_parquet('${out}/payments/stripe/stripe_charges/*.parquet') ORDER BY id LIMIT 2`,
    );
    expect(charges).toEqual([
      { id: 'ch_0001', amount: 1000n, paid: true, created: 1704078000n },
      { id: 'ch_0002', amount: 1250n, paid: true, created: 1704250800n },
    ]);
    const types = await duck<{ name: string; type: string }>(
      `SELECT name, type FROM parquet_schema('${out}/payments/stripe/stripe_charges/*.parquet') WHERE name IN ('amount','paid','created')`,
    );
    expect(Object.fromEntries(types.map((t) => [t.name, t.type]))).toEqual({
      amount: 'INT64',
      paid: 'BOOLEAN',
      created: 'INT64',
    });

    const second = await run(JOB, dir, { AS_OF: '2024-02-10T00:00:00Z' });
    expect(second.report.status, second.r.stderr.slice(-3000)).toBe('succeeded');
    expect(second.report.streams.customers.rows.written).toBe(5);
    expect(second.report.streams.charges.rows.written).toBe(5);
    const counts = await duck<{ t: string; n: bigint; d: bigint }>(
      `SELECT 'customers' t, count(*) n, count(DISTINCT id) d FROM read_parquet('${out}/default/default/stripe_customers/*.parquet')
       UNION ALL
       SELECT 'charges', count(*), count(DISTINCT id) FROM read_parquet('${out}/payments/stripe/stripe_charges/*.parquet')
       ORDER BY t`,
    );
    expect(counts).toEqual([
      { t: 'charges', n: 15n, d: 15n },
      { t: 'customers', n: 12n, d: 12n },
    ]);
    const third = await run(JOB, dir, { AS_OF: '2024-02-10T00:00:00Z' });
    expect(third.report.rows.written).toBe(0);
    expect(third.r.code).toBe(0);
    expect([
      ...leftoverContainers('stripe_multi.customers'),
      ...leftoverContainers('stripe_multi.charges'),
    ]).toEqual([]);
  });

  it('a crashing connector fails each stream on its own: exit 2, nothing committed, errors named by stream', async () => {
    const dir = tempDir();
    const ok = await run(JOB, dir, { AS_OF: '2024-01-05T00:00:00Z' });
    expect(ok.report.status, ok.r.stderr.slice(-3000)).toBe('succeeded');
    // The connector crashes after 4 records of every read.
    const res = await run(JOB, dir, { CONNECTOR_MODE: 'crash' });
    expect(res.r.code).toBe(2);
    expect(res.report.status).toBe('failed');
    expect(res.report.streams.customers.status).toBe('failed');
    expect(res.report.streams.charges.status).toBe('failed');
    expect(res.report.errors.map((e: { code: string }) => e.code)).toEqual([
      'ENGINE_FAILED',
      'ENGINE_FAILED',
    ]);
    expect(res.report.errors[0].message).toMatch(/^stream customers: .*exit code 3/s);
    expect(res.report.errors[1].message).toMatch(/^stream charges: .*exit code 3/s);
    expect(res.report.rows.written).toBe(0);
    // Each stream's state is still the one of the successful run.
    const again = await run(JOB, dir, { AS_OF: '2024-01-05T00:00:00Z' });
    expect(again.report.rows.written).toBe(0);
    expect(again.report.state).toEqual(ok.report.state);
    expect([
      ...leftoverContainers('stripe_multi.customers'),
      ...leftoverContainers('stripe_multi.charges'),
    ]).toEqual([]);
  });

  it('a bad streams map is reported at its file:line:column', async () => {
    const dir = tempDir();
    const job = path.join(dir, 'bad.yaml');
    const text = (await readFile(JOB, 'utf8')).replace(
      'charges: contracts/stripe_charges.yaml',
      'charges: contracts/no_such_contract.yaml',
    );
    await writeFile(job, text.replace(/contracts\//g, `${JOBS}/contracts/`));
    const res = await runCli(['run', '--config', job, '--json'], {
      env: { OUT_DIR: path.join(dir, 'out'), STRIPE_API_KEY: KEY },
    });
    expect(res.code).toBe(2);
    const line = text.split('\n').findIndex((l) => l.includes('no_such_contract')) + 1;
    expect(res.stderr).toContain(`${job}:${line}:`);
    expect(res.stderr).toMatch(/the contract of stream "charges" does not exist/);

    const typed = text.replace('charges: contracts/no_such_contract.yaml', 'charges: 42');
    await writeFile(job, typed);
    const res2 = await runCli(['run', '--config', job, '--json'], {
      env: { OUT_DIR: path.join(dir, 'out'), STRIPE_API_KEY: KEY },
    });
    expect(res2.code).toBe(2);
    expect(res2.stderr).toContain(`${job}:${line}:`);
    expect(res2.stderr).toMatch(/source\.streams/);
  });
});
