/**
 * Issue: `dativo check` covers Iceberg targets. It passes when the catalog (filesystem warehouse
 * or `dativo catalog serve`) and the object store answer, and exits 2 naming the catalog URI or the
 * bucket that does not; no data is written either way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv, REPO, reportOf, runCli } from '../../helpers/cli.js';

const FIXTURE = path.join(REPO, 'tests/fixtures/original-compat');
const UNREACHABLE = 'http://127.0.0.1:1';
let tmp: string;
let dir: string;
let server: ChildProcess | undefined;
let catalogUrl: string;

/** `dativo catalog serve` over a local warehouse, on a free port. */
async function serveCatalog(warehouse: string, tokenFile: string): Promise<string> {
  const child = spawn(
    process.execPath,
    [BIN, 'catalog', 'serve', '--warehouse', warehouse, '--port', '0', '--token-file', tokenFile],
    { cwd: REPO, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  server = child;
  return new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
      const line = /^(http:\/\/127\.0\.0\.1:\d+)\n/m.exec(out);
      if (line?.[1]) resolve(line[1]);
    });
    child.on('close', () => reject(new Error('catalog serve exited before serving')));
  });
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'compat-check-ice-'));
  dir = path.join(tmp, 'project');
  await cp(FIXTURE, dir, { recursive: true });
  await mkdir(path.join(dir, 'data'), { recursive: true });
  await writeFile(
    path.join(dir, 'data/readings.csv'),
    'id,sensor,reading,count,day\n1,s1,1.5,2,2024-01-02\n',
  );
  await writeFile(path.join(tmp, 'token'), 'tok-check-1\n');
  catalogUrl = await serveCatalog(path.join(tmp, 'rest-wh'), path.join(tmp, 'token'));
}, 60_000);
afterAll(async () => {
  server?.kill('SIGTERM');
  await rm(tmp, { recursive: true, force: true });
});

/** An original-format job with an iceberg target block. */
async function job(name: string, target: string[]): Promise<string> {
  const file = path.join(dir, `jobs/${name}.yaml`);
  const lines = [
    'tenant_id: acme',
    'source_connector: csv',
    'source_connector_path: connectors/csv.yaml',
    'target_connector: iceberg',
    'target_connector_path: connectors/iceberg.yaml',
    'asset_path: contracts/readings.yaml',
    'source:',
    '  files:',
    '    - path: data/readings.csv',
    '      object: readings',
    'target:',
    ...target.map((l) => `  ${l}`),
  ];
  await writeFile(file, `${lines.join('\n')}\n`);
  return `jobs/${name}.yaml`;
}

const s3 = (endpoint: string, bucket: string) => [
  '  s3:',
  `    endpoint: "${endpoint}"`,
  `    bucket: ${bucket}`,
  '    access_key_id: "AKIDCHECKSECRET"',
  '    secret_access_key: "check-secret-value"',
  '    region: us-east-1',
  '    path_style_access: true',
];

// The iceberg recipe's S3 template interpolates these; a job's own s3 block overrides them.
const ENV = {
  S3_ENDPOINT: UNREACHABLE,
  S3_BUCKET: undefined,
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'y',
  AWS_REGION: 'us-east-1',
};
const check = (config: string) =>
  runCli(['check', '--config', config, '--json'], { cwd: dir, env: ENV, timeoutMs: 90_000 });

describe('dativo check on an Iceberg target', () => {
  it('filesystem catalog, local warehouse: passes and writes nothing', async () => {
    const wh = path.join(tmp, 'fs-wh');
    const r = await check(await job('ice_fs', [`warehouse: ${wh}`]));
    expect(r.code, r.stderr).toBe(0);
    const { target } = reportOf(r);
    expect(target.status).toBe('success');
    expect(target.message).toContain(`warehouse file://${wh} answers`);
    expect(target.message).toContain('compat.sensor_readings will be created on the first run');
    expect(await readdir(wh)).toEqual([]);
  });

  it('REST catalog (dativo catalog serve) reachable: passes, naming the catalog', async () => {
    const r = await check(
      await job('ice_rest_ok', [
        'connection:',
        '  rest:',
        `    uri: ${catalogUrl}`,
        '    token: tok-check-1',
      ]),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).target.message).toContain(`catalog ${catalogUrl} answers`);
  });

  it('REST catalog unreachable: exit 2 naming the catalog URI', async () => {
    const r = await check(await job('ice_rest_down', ['connection:', '  rest:', `    uri: ${UNREACHABLE}`]));
    expect(r.code).toBe(2);
    const { target } = reportOf(r);
    expect(target.status).toBe('failed');
    expect(target.message).toContain(`catalog ${UNREACHABLE} is not reachable`);
  });

  it('REST catalog reachable but the object store is not: exit 2 naming the bucket, no secret', async () => {
    const r = await check(
      await job('ice_store_down', [
        'connection:',
        '  rest:',
        `    uri: ${catalogUrl}`,
        '    token: tok-check-1',
        ...s3(UNREACHABLE, 'compat-check-bucket'),
      ]),
    );
    expect(r.code).toBe(2);
    const { target } = reportOf(r);
    expect(target.message).toContain('object store s3://compat-check-bucket is not reachable');
    expect(r.stdout + r.stderr).not.toContain('check-secret-value');
  });

  it('filesystem catalog on an unreachable S3 warehouse: exit 2 naming the bucket', async () => {
    const r = await check(
      await job('ice_s3_wh_down', [
        'warehouse: s3://compat-check-wh/lake',
        'connection:',
        ...s3(UNREACHABLE, 'x'),
      ]),
    );
    expect(r.code).toBe(2);
    expect(reportOf(r).target.message).toContain('warehouse s3://compat-check-wh/lake is not reachable');
  });
});
