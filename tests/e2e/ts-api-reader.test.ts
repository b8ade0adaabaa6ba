/**
 * The example TypeScript API reader (examples/ts-api-reader), built and run through the real
 * component runtime against a local paginated API and a local OAuth2 token endpoint: the PDK's
 * helpers (cursor paging, withRetry honouring Retry-After, OAuth2 client credentials,
 * IncrementalCursor) doing real HTTP through the host. The host's own retries are switched off
 * (max_retries: 0) so the 429 can only be retried by the plugin.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { REPO, reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';
import { type PaginatedServer, startPaginatedServer } from '../helpers/paginated-server.js';

const TOTAL = 2500;
let tmp: string;
let api: PaginatedServer;
const token = { requests: [] as { auth: string; body: string }[], url: '', hostPort: '', close: () => {} };
const env = () => ({ DATIVO_CACHE_DIR: path.join(tmp, 'cache') });
let dir: string;

async function startTokenServer(): Promise<void> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      token.requests.push({ auth: req.headers.authorization ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'tok-123', token_type: 'Bearer', expires_in: 3600 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  token.url = `http://127.0.0.1:${port}/oauth/token`;
  token.hostPort = `127.0.0.1:${port}`;
  token.close = () => server.close();
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-ts-api-reader-'));
  // The third request (page 3) is answered 429 once, asking for 1 s.
  api = await startPaginatedServer({ total: TOTAL, failOn: { 3: { status: 429, retryAfter: '1' } } });
  await startTokenServer();
  dir = path.join(tmp, 'ts-api-reader');
  await cp(path.join(REPO, 'examples/ts-api-reader'), dir, { recursive: true });
  const file = path.join(dir, 'dativo-plugin.yaml');
  const doc = parseDocument(await readFile(file, 'utf8'));
  doc.setIn(['capabilities', 'network', 'hosts'], [api.hostPort, token.hostPort]);
  doc.setIn(['capabilities', 'http', 'max_retries'], 0);
  await writeFile(file, doc.toString());
  const build = await runCli(['plugin', 'build', dir], { timeoutMs: 900_000, env: env() });
  expect(build.code, build.stderr).toBe(0);
}, 1_200_000);
afterAll(async () => {
  await api?.close();
  token.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('examples/ts-api-reader', () => {
  it('validates, then pages through the API with OAuth2 and a plugin-side retry (plugin test)', async () => {
    const v = await runCli(['plugin', 'validate', dir], { env: env(), timeoutMs: 300_000 });
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).toContain(
      'ok ts-api-reader (reader, runtime component, abi 1.1): exports open, next_batch',
    );

    const cfg = path.join(tmp, 'oauth.yaml');
    await writeFile(
      cfg,
      JSON.stringify({ url: api.url, page_size: 1000, token_url: token.url, client_id: 'dativo-test' }),
    );
    const r = await runCli(['plugin', 'test', dir, '--config', cfg, '--secret', 'client_secret=s3cret'], {
      env: env(),
      timeoutMs: 600_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'ok ts-api-reader (reader): 2500 rows in 3 batches match contract contract.yaml',
    );
    expect(r.stderr).not.toContain('s3cret');
    // One token for the whole run, fetched with basic auth and the client-credentials grant.
    expect(token.requests).toEqual([
      { auth: `Basic ${btoa('dativo-test:s3cret')}`, body: 'grant_type=client_credentials' },
    ]);
    // Three pages and the 429 the plugin retried (the host's retries are off).
    expect(api.statuses).toEqual([200, 200, 429, 200]);
    expect(api.requests[2]).toBe(api.requests[3]);
  }, 600_000);

  it('runs in a job into Parquet; the next run asks only for records after the committed id', async () => {
    api.requests.length = 0;
    api.statuses.length = 0;
    const out = path.join(tmp, 'out');
    const job = {
      tenant_id: 'test_tenant',
      source_connector_path: 'connectors/csv.yaml',
      target_connector_path: 'connectors/local.yaml',
      asset_path: path.join(dir, 'contract.yaml'),
      source: { plugin: { path: dir, allow: { hosts: ['127.0.0.1'] } }, url: api.url, page_size: 1000 },
      target: { connection: { path: out } },
    };
    const file = path.join(tmp, 'job.yaml');
    await writeFile(file, JSON.stringify(job));
    const state = path.join(tmp, 'state');
    const first = await runCli(['run', '--config', file, '--state-dir', state, '--json'], {
      env: env(),
      timeoutMs: 600_000,
    });
    expect(first.code, first.stderr).toBe(0);
    expect(reportOf(first).rows.written).toBe(TOTAL);
    const [agg] = await duck<{ n: bigint; s: bigint; notes: bigint }>(
      `SELECT count(*) AS n, sum(id) AS s, count(note) AS notes FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect([Number(agg?.n), Number(agg?.s), Number(agg?.notes)]).toEqual([
      TOTAL,
      (TOTAL * (TOTAL + 1)) / 2,
      TOTAL - Math.floor(TOTAL / 7),
    ]);
    expect(api.requests[0]).not.toContain('since_id');

    const second = await runCli(['run', '--config', file, '--state-dir', state, '--json'], {
      env: env(),
      timeoutMs: 600_000,
    });
    expect(second.code, second.stderr).toBe(0);
    expect(api.requests.at(-3)).toContain(`since_id=${TOTAL}`);
  }, 900_000);
});
