/**
 * Issue #21: an original Python custom writer (BaseWriter subclass) in a job whose target is S3
 * (radosgw), through the real CLI. The files it writes in the sandbox are published by the host's
 * commit protocol, like any writer plugin's outputs: staged under `_dativo/staging/`, recorded,
 * published once; a process killed before the commit record leaves nothing visible and the rerun
 * commits exactly once. DuckDB reads the published JSON Lines back.
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

const ROWS = 290;
const WRITER = path.join(REPO, 'tests/fixtures/python-plugins/writers/jsonl_writer.py');
/** Where the published output of one run lands, relative to the target prefix. */
const OUTPUT = /^hr\/adventureworks\/hr_employee\/part-00000-(r\d{8}T\d+-[0-9a-f]{6})\.jsonl$/;

let rgw: Rgw;
let tmp: string;

beforeAll(async () => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: REPO,
    stdio: 'inherit',
  });
  rgw = await startRgw();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-s3-python-writer-'));
}, 600_000);
afterAll(async () => {
  rgw?.client.destroy();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A job of its own prefix (and state dir), so the cases never see each other's objects. */
async function newJob(): Promise<{ file: string; prefix: string; stateDir: string }> {
  const id = randomUUID().slice(0, 8);
  const prefix = `python-writer-${id}`;
  const job = {
    tenant_id: 'test_tenant',
    source_connector_path: 'connectors/csv.yaml',
    target_connector_path: 'connectors/s3.yaml',
    asset_path: path.join(REPO, 'tests/fixtures/contracts/hr_employee.yaml'),
    source: {
      files: [
        {
          path: path.join(REPO, 'tests/fixtures/data/AdventureWorks-oltp-install-script/Employee.csv'),
          object: 'Employee',
        },
      ],
      engine: { options: { encoding: 'utf-16-le', delimiter: '\t', header: false } },
    },
    target: {
      custom_writer: `${WRITER}:JSONLinesWriter`,
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
    timeoutMs: 300_000,
  });
}

async function keysUnder(prefix: string): Promise<string[]> {
  return (await listKeys(rgw.client, JOB_BUCKET, prefix)).map((k) => k.slice(prefix.length));
}

async function getText(key: string): Promise<string> {
  const out = await rgw.client.send(new GetObjectCommand({ Bucket: JOB_BUCKET, Key: key }));
  return (out.Body as { transformToString(): Promise<string> }).transformToString();
}

/** Row count and distinct ids of a published JSON Lines object, read by DuckDB. */
async function readBack(key: string): Promise<{ n: number; ids: number }> {
  const file = path.join(tmp, `${randomUUID()}.jsonl`);
  await writeFile(file, await getText(key));
  const [agg] = await duck<{ n: bigint; ids: bigint }>(
    `SELECT count(*) AS n, count(DISTINCT BusinessEntityID) AS ids
       FROM read_json('${file}', format = 'newline_delimited')`,
  );
  return { n: Number(agg?.n), ids: Number(agg?.ids) };
}

describe('a Python custom writer targeting S3', () => {
  it('publishes its output once, with a done commit record; commit_files runs after', async () => {
    const job = await newJob();
    const r = await run(job);
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).rows.written).toBe(ROWS);
    const keys = await keysUnder(job.prefix);
    const outputs = keys.filter((k) => OUTPUT.test(k));
    expect(outputs, keys.join(', ')).toHaveLength(1);
    const runId = OUTPUT.exec(outputs[0] as string)?.[1] as string;
    // Only the output and the protocol's record: no staging, no `.part` left behind.
    expect(keys.filter((k) => !OUTPUT.test(k))).toEqual([`_dativo/commits/${runId}.json`]);
    const record = JSON.parse(await getText(`${job.prefix}_dativo/commits/${runId}.json`));
    expect(record).toMatchObject({ status: 'done', runId, rows: ROWS, tenant: 'test_tenant' });
    expect(record.files.map((f: { key: string }) => f.key)).toEqual(outputs);
    expect(await readBack(`${job.prefix}${outputs[0]}`)).toEqual({ n: ROWS, ids: ROWS });
    expect(r.stderr).toContain('commit_files returned');
  });

  it('killed after staging, before the commit record: nothing visible; the rerun commits once', async () => {
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
    // commit_files never ran: it comes only after the publish.
    expect(killed.stderr).not.toContain('commit_files returned');

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
    expect(await readBack(`${job.prefix}${outputs[0]}`)).toEqual({ n: ROWS, ids: ROWS });
  });
});
