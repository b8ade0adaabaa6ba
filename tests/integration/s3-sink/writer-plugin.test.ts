/**
 * A writer plugin is a sink like any other: the first-party Rust JSON Lines writer, in a job whose
 * target is S3 (radosgw), through the real CLI. Its output is staged under the target's
 * `_dativo/staging/`, recorded and published by the same commit protocol as the Parquet sinks, so
 * a process killed between staging and commit leaves nothing visible and the next run commits
 * exactly once. DuckDB reads the published JSON Lines back.
 */

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, reportOf, runCli } from '../../helpers/cli.js';
import { duck } from '../../helpers/duckdb.js';
import { JOB_BUCKET, listKeys, REPO, type Rgw, startRgw } from './radosgw.js';

/** Packaged by scripts/build-rust-plugins.sh (module + manifest with its sha256). */
const PLUGIN = path.join(REPO, '.run/rust-plugins/jsonl-writer');
const ROWS = 1200;
const CONTRACT = `apiVersion: v3.0.2
kind: DataContract
id: 6a0f6a57-2b8e-4d55-9d0c-5d2f1b7e9a31
name: orders
version: "1.0"
status: active
domain: plugins
dataProduct: jsonl
schema:
  - { name: id, type: bigint, required: true }
  - { name: customer, type: string, required: true }
  - { name: total, type: "decimal(12,2)" }
`;
/** Where the published output of one run lands, relative to the target prefix. */
const OUTPUT = /^plugins\/jsonl\/orders\/orders-(r\d{8}T\d+-[0-9a-f]{6})\.jsonl$/;

let rgw: Rgw;
let tmp: string;

beforeAll(async () => {
  execFileSync('bash', ['scripts/build-rust-plugins.sh', '-p', 'jsonl-writer'], {
    cwd: REPO,
    stdio: 'inherit',
  });
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: REPO,
    stdio: 'inherit',
  });
  rgw = await startRgw();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-s3-writer-plugin-'));
  const lines = ['id,customer,total'];
  for (let i = 1; i <= ROWS; i++) lines.push(`${i},customer ${i},${i}.${String(i % 100).padStart(2, '0')}`);
  await writeFile(path.join(tmp, 'orders.csv'), `${lines.join('\n')}\n`);
  await writeFile(path.join(tmp, 'contract.yaml'), CONTRACT);
}, 600_000);
afterAll(async () => {
  rgw?.client.destroy();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A job of its own prefix (and state dir), so the cases never see each other's objects. */
async function newJob(): Promise<{ file: string; prefix: string; stateDir: string }> {
  const id = randomUUID().slice(0, 8);
  const prefix = `writer-plugin-${id}`;
  const job = {
    tenant_id: 'test_tenant',
    source_connector_path: 'connectors/csv.yaml',
    target_connector_path: 'connectors/s3.yaml',
    asset_path: path.join(tmp, 'contract.yaml'),
    source: { files: [{ path: path.join(tmp, 'orders.csv'), object: 'orders' }] },
    target: {
      plugin: { path: PLUGIN },
      connection: {
        bucket: JOB_BUCKET,
        prefix,
        endpoint: '${S3_ENDPOINT}',
        access_key_id: '${AWS_ACCESS_KEY_ID}',
        secret_access_key: '${AWS_SECRET_ACCESS_KEY}',
        region: '${AWS_REGION}',
      },
    },
  };
  const file = path.join(tmp, `job-${id}.yaml`);
  await writeFile(file, JSON.stringify(job));
  return { file, prefix: `${prefix}/`, stateDir: path.join(tmp, `state-${id}`) };
}

function run(job: { file: string; stateDir: string }, env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(['run', '--config', job.file, '--state-dir', job.stateDir, '--json'], {
    env: { ...rgw.env, ...env },
  });
}

/** The keys under a prefix, relative to it. */
async function keysUnder(prefix: string): Promise<string[]> {
  return (await listKeys(rgw.client, JOB_BUCKET, prefix)).map((k) => k.slice(prefix.length));
}

async function getText(key: string): Promise<string> {
  const out = await rgw.client.send(new GetObjectCommand({ Bucket: JOB_BUCKET, Key: key }));
  return (out.Body as { transformToString(): Promise<string> }).transformToString();
}

/** Row count, id sum and one row of a published JSON Lines object, read by DuckDB. */
async function readBack(key: string): Promise<{ n: number; ids: number; row7: unknown }> {
  const file = path.join(tmp, `${randomUUID()}.jsonl`);
  await writeFile(file, await getText(key));
  const src = `read_json('${file}', format = 'newline_delimited',
    columns = { id: 'BIGINT', customer: 'VARCHAR', total: 'DECIMAL(12,2)' })`;
  const [agg] = await duck<{ n: bigint; ids: bigint }>(`SELECT count(*) AS n, sum(id) AS ids FROM ${src}`);
  const [row7] = await duck(
    `SELECT id::INTEGER AS id, customer, total::VARCHAR AS total FROM ${src} WHERE id = 7`,
  );
  return { n: Number(agg?.n), ids: Number(agg?.ids), row7 };
}

const ID_SUM = (ROWS * (ROWS + 1)) / 2;

describe('a writer plugin targeting S3', () => {
  it('commits its output once, with a done commit record carrying the row count', async () => {
    const job = await newJob();
    const r = await run(job);
    expect(r.code, r.stderr).toBe(0);
    const report = reportOf(r);
    expect(report.rows.written).toBe(ROWS);

    const keys = await keysUnder(job.prefix);
    const outputs = keys.filter((k) => OUTPUT.test(k));
    expect(outputs, keys.join(', ')).toHaveLength(1);
    const runId = OUTPUT.exec(outputs[0] as string)?.[1] as string;
    // Only the output and the protocol's record: no staging, no `.part` left behind.
    expect(keys.filter((k) => !OUTPUT.test(k))).toEqual([`_dativo/commits/${runId}.json`]);
    const record = JSON.parse(await getText(`${job.prefix}_dativo/commits/${runId}.json`));
    expect(record).toMatchObject({ status: 'done', runId, rows: ROWS, tenant: 'test_tenant' });
    expect(record.files.map((f: { key: string }) => f.key)).toEqual(outputs);

    expect(await readBack(`${job.prefix}${outputs[0]}`)).toEqual({
      n: ROWS,
      ids: ID_SUM,
      row7: { id: 7, customer: 'customer 7', total: '7.07' },
    });
  });

  it('killed after staging, before the commit record: nothing visible; the rerun cleans up and commits once', async () => {
    const job = await newJob();
    const killed = await run(job, { DATIVO_TEST_CRASH_AT: 'before-record' });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const left = await keysUnder(job.prefix);
    expect(left.filter((k) => OUTPUT.test(k))).toEqual([]);
    expect(left.filter((k) => k.startsWith('_dativo/commits/'))).toEqual([]);
    // The staged output is there (and only there): the crash really happened after staging.
    const staged = left.filter((k) => k.endsWith('.jsonl.part'));
    expect(staged, left.join(', ')).toHaveLength(1);
    const crashedRun = (staged[0] as string).split('/')[2];

    const next = await run(job);
    expect(next.code, next.stderr).toBe(0);
    const report = reportOf(next);
    expect(report.recovery.cleaned).toEqual([crashedRun]);
    expect(report.rows.written).toBe(ROWS);
    const keys = await keysUnder(job.prefix);
    const outputs = keys.filter((k) => OUTPUT.test(k));
    expect(outputs, keys.join(', ')).toHaveLength(1);
    expect(outputs[0]).not.toContain(crashedRun as string);
    expect(keys.some((k) => k.startsWith('_dativo/staging/'))).toBe(false);
    expect((await readBack(`${job.prefix}${outputs[0]}`)).n).toBe(ROWS);
  });

  it('killed after the commit record: the next run rolls that commit forward and adds nothing', async () => {
    const job = await newJob();
    const killed = await run(job, { DATIVO_TEST_CRASH_AT: 'after-record' });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const left = await keysUnder(job.prefix);
    expect(left.filter((k) => OUTPUT.test(k))).toEqual([]);
    const records = left.filter((k) => k.startsWith('_dativo/commits/'));
    expect(records).toHaveLength(1);
    const crashedRun = path.basename(records[0] as string, '.json');
    expect(JSON.parse(await getText(`${job.prefix}${records[0]}`)).status).toBe('pending');

    const next = await run(job);
    expect(next.code, next.stderr).toBe(0);
    const report = reportOf(next);
    expect(report.recovery.rolledForward).toEqual([crashedRun]);
    // The rolled-forward record carries the source state: the rerun finds nothing new.
    expect(report.status).toBe('nothing_new');
    const keys = await keysUnder(job.prefix);
    const outputs = keys.filter((k) => OUTPUT.test(k));
    expect(outputs).toEqual([`plugins/jsonl/orders/orders-${crashedRun}.jsonl`]);
    expect(keys.some((k) => k.startsWith('_dativo/staging/'))).toBe(false);
    expect(await readBack(`${job.prefix}${outputs[0]}`)).toMatchObject({ n: ROWS, ids: ID_SUM });
  });
});
