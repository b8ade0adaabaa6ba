/**
 * The Airbyte engine end to end: `dativo run|check|discover` through the built CLI against the
 * locally built test connectors (tests/fixtures/connectors/airbyte-*), Parquet read back by DuckDB.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportOf, runCli } from '../helpers/cli.js';
import { duck, visibleCount } from '../helpers/duckdb.js';
import { imageId, JOBS, leftoverContainers, startDockerAndBuild, tempDir } from './airbyte-setup.js';

const STRIPE = path.join(JOBS, 'stripe_customers.yaml');
const HUBSPOT = path.join(JOBS, 'hubspot_contacts.yaml');
const KEY = 'sk_test_Zq81secretvalue';

function envFor(dir: string, extra: Record<string, string> = {}) {
  return {
    OUT_DIR: path.join(dir, 'out'),
    STATE_DIR: path.join(dir, 'state'),
    STRIPE_API_KEY: KEY,
    HUBSPOT_API_KEY: KEY,
    ...extra,
  };
}

async function run(job: string, dir: string, extra: Record<string, string> = {}) {
  const r = await runCli(['run', '--config', job, '--json'], { env: envFor(dir, extra), timeoutMs: 120_000 });
  return { r, report: reportOf(r) };
}

beforeAll(() => startDockerAndBuild());

describe('airbyte: run into Parquet', () => {
  it('reads the stream typed by the contract, then only new records on the second run', async () => {
    const dir = tempDir();
    const first = await run(STRIPE, dir, { AS_OF: '2024-01-20T00:00:00Z' });
    expect(first.report.status, first.r.stderr).toBe('succeeded');
    expect(first.report.source.engine).toBe('airbyte');
    expect(first.report.rows.written).toBe(7);
    expect(first.report.state.airbyte).toEqual({
      type: 'STREAM',
      streams: {
        customers: {
          stream_descriptor: { name: 'customers' },
          stream_state: { created: '2024-01-19T06:00:00Z' },
        },
      },
    });
    const out = path.join(dir, 'out');
    const schema = await duck<{ name: string; type: string }>(
      `SELECT name, type FROM parquet_schema('${out}/**/*.parquet') WHERE name IN ('id','created','balance','metadata')`,
    );
    expect(Object.fromEntries(schema.map((s) => [s.name, s.type]))).toEqual({
      id: 'BYTE_ARRAY',
      created: 'INT64',
      balance: 'DOUBLE',
      metadata: 'BYTE_ARRAY',
    });
    const rows = await duck<{ id: string; balance: number; tier: string; created: string }>(
      `SELECT id, balance, json_extract_string(metadata, '$.tier') AS tier, strftime(created, '%Y-%m-%d %H') AS created
       FROM read_parquet('${out}/**/*.parquet') ORDER BY id LIMIT 2`,
    );
    expect(rows).toEqual([
      { id: 'cus_0001', balance: -20, tier: 'gold', created: '2024-01-01 00' },
      { id: 'cus_0002', balance: -7.5, tier: 'basic', created: '2024-01-04 01' },
    ]);

    const second = await run(STRIPE, dir, { AS_OF: '2024-02-10T00:00:00Z' });
    expect(second.report.status, second.r.stderr).toBe('succeeded');
    expect(second.report.rows.written).toBe(5);
    const all = await duck<{ n: bigint; d: bigint; max: string }>(
      `SELECT count(*) n, count(DISTINCT id) d, max(id) max FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect(all[0]).toEqual({ n: 12n, d: 12n, max: 'cus_0012' });
    const third = await run(STRIPE, dir, { AS_OF: '2024-02-10T00:00:00Z' });
    expect(third.report.rows.written).toBe(0);
    expect(await visibleCount(out)).toBe(12);
    expect(leftoverContainers('stripe_customers')).toEqual([]);
  });

  it.each(['GLOBAL', 'LEGACY'])('resumes from %s state', async (stateType) => {
    const dir = tempDir();
    const first = await run(HUBSPOT, dir, { AS_OF: '2024-01-20T00:00:00Z', STATE_TYPE: stateType });
    expect(first.report.status, first.r.stderr).toBe('succeeded');
    expect(first.report.rows.written).toBe(4);
    expect(first.report.state.airbyte.type).toBe(stateType);
    const second = await run(HUBSPOT, dir, { STATE_TYPE: stateType });
    expect(second.report.rows.written).toBe(6);
    const ids = await duck<{ n: bigint; d: bigint }>(
      `SELECT count(*) n, count(DISTINCT id) d FROM read_parquet('${dir}/out/**/*.parquet')`,
    );
    expect(ids[0]).toEqual({ n: 10n, d: 10n });
  });

  it('a crash mid-stream commits nothing and leaves the state as it was', async () => {
    const dir = tempDir();
    await run(STRIPE, dir, { AS_OF: '2024-01-10T00:00:00Z' });
    const statePath = (await run(STRIPE, dir, { AS_OF: '2024-01-10T00:00:00Z' })).report;
    const before = statePath.state;
    const crash = await run(STRIPE, dir, { CONNECTOR_MODE: 'crash' });
    expect(crash.r.code, JSON.stringify(crash.report.rows) + crash.r.stderr.slice(-3000)).toBe(2);
    expect(crash.report.errors[0].code).toBe('ENGINE_FAILED');
    expect(crash.report.errors[0].message).toMatch(/exit code 3/);
    expect(crash.report.errors[0].message).toMatch(/simulated segfault/);
    expect(await visibleCount(path.join(dir, 'out'))).toBe(3);
    const after = await run(STRIPE, dir, { AS_OF: '2024-01-10T00:00:00Z' });
    expect(after.report.state).toEqual(before);
    expect(after.report.rows.written).toBe(0);
    expect(leftoverContainers('stripe_customers')).toEqual([]);
  });

  it('a malformed protocol line fails with its line number', async () => {
    const dir = tempDir();
    const res = await run(STRIPE, dir, { CONNECTOR_MODE: 'malformed' });
    expect(res.r.code).toBe(2);
    expect(res.report.errors[0].code).toBe('SOURCE_PROTOCOL');
    expect(res.report.errors[0].message).toMatch(/stdout line 6 is not a valid Airbyte message/);
    expect(res.report.errors[0].message).toContain(
      '{"type":"RECORD","record":{"stream":"customers","data":{"id":',
    );
    expect(await visibleCount(path.join(dir, 'out'))).toBe(0);
  });

  it('a 20 MB record goes through', async () => {
    const dir = tempDir();
    const res = await run(STRIPE, dir, { CONNECTOR_MODE: 'huge', AS_OF: '2024-01-05T00:00:00Z' });
    expect(res.report.status, res.r.stderr).toBe('succeeded');
    expect(res.report.rows.written).toBe(3);
    const rows = await duck<{ id: string; len: bigint }>(
      `SELECT id, length(email)::BIGINT len FROM read_parquet('${dir}/out/**/*.parquet') ORDER BY id`,
    );
    expect(rows[rows.length - 1]).toEqual({ id: 'huge_1', len: 20_000_000n });
  });

  it('a TRACE ERROR becomes a clear, retryable error', async () => {
    const dir = tempDir();
    const res = await run(STRIPE, dir, { CONNECTOR_MODE: 'trace_error' });
    expect(res.r.code).toBe(2);
    expect(res.report.errors[0]).toMatchObject({ code: 'ENGINE_FAILED', retryable: true });
    expect(res.report.errors[0].message).toMatch(
      /Rate limit exceeded on \/v1\/customers \(transient_error\)/,
    );
  });

  it('the recipe default image cannot be pulled: a clear error naming the image and the key', async () => {
    const dir = tempDir();
    const res = await run(STRIPE, dir, { AIRBYTE_IMAGE: 'airbyte/source-stripe:2.1.5' });
    expect(res.r.code).toBe(2);
    expect(res.report.errors[0]).toMatchObject({ code: 'IMAGE_NOT_FOUND', retryable: false });
    expect(res.report.errors[0].message).toMatch(
      /airbyte\/source-stripe:2\.1\.5 is not present locally and could not be pulled/,
    );
    expect(res.report.errors[0].message).toContain('source.engine.options.airbyte.docker_image');
  });

  it('no Docker engine: a retryable ENGINE_UNAVAILABLE that says how to start one', async () => {
    const dir = tempDir();
    const res = await run(STRIPE, dir, { DOCKER_HOST: `unix://${path.join(dir, 'no-docker.sock')}` });
    expect(res.r.code).toBe(2);
    expect(res.report.errors[0]).toMatchObject({ code: 'ENGINE_UNAVAILABLE', retryable: true });
    expect(res.report.errors[0].message).toMatch(/no Docker engine answers.*start-docker\.sh/);
  });

  it('honours a digest pin', async () => {
    const dir = tempDir();
    const id = imageId('dativo-test/airbyte-stripe:local');
    const ok = await run(STRIPE, dir, { AIRBYTE_DIGEST: id, AS_OF: '2024-01-02T00:00:00Z' });
    expect(ok.report.status, ok.r.stderr).toBe('succeeded');
    const bad = await run(STRIPE, dir, { AIRBYTE_DIGEST: `sha256:${'0'.repeat(64)}` });
    expect(bad.report.errors[0].code).toBe('PLUGIN_DENIED');
    expect(bad.report.errors[0].message).toMatch(/not the pinned sha256:0{64}; refusing to run it/);
  });
});

describe('airbyte: check and discover through the engine', () => {
  it('check succeeds with a good key and masks it in the connector logs', async () => {
    const dir = tempDir();
    const r = await runCli(['check', '--config', STRIPE, '--json'], { env: envFor(dir) });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).source).toMatchObject({ status: 'success' });
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('check fails with a bad key', async () => {
    const dir = tempDir();
    const r = await runCli(['check', '--config', STRIPE, '--json'], {
      env: { ...envFor(dir), STRIPE_API_KEY: 'wrong-key-123' },
    });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).source.message).toMatch(/invalid api key/);
  });

  it('discover lists the connector streams', async () => {
    const dir = tempDir();
    const r = await runCli(['discover', '--config', STRIPE, '--json'], { env: envFor(dir) });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.objects.map((o: { name: string }) => o.name)).toEqual(['customers', 'charges', 'probes']);
    expect(out.objects[0]).toMatchObject({
      type: 'stream',
      cursor_field: ['created'],
      primary_key: [['id']],
    });
  });

  it('keeps no config directory behind', async () => {
    const { readdir } = await import('node:fs/promises');
    const os = await import('node:os');
    const left = (await readdir(os.tmpdir())).filter((n) => n.startsWith('dativo-engine-'));
    // Other suites may run engines concurrently; ours finished, so none of them is stale for long.
    expect(left.length).toBeLessThan(3);
    void readFile;
  });
});
