/**
 * Issue #21: a Python API reader (`import requests`) named by `source.plugin: {path: file.py:Class,
 * allow: …}` reaches exactly the hosts and secrets the job grants, over the host's HTTP client:
 * 250 records over 3 pages from a local server, read back by DuckDB; an ungranted host is a
 * `requests.ConnectionError` with the host's denial and no request reaches the server; an
 * ungranted secret is a `KeyError` naming the denial; an ungranted `${secret:…}` in a Python
 * reader's config is refused before the reader starts. No secret value in any output.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';

const JOB = 'tests/fixtures/python-plugins/jobs/api_reader.yaml';
const TOKEN = 'tok-e2e-py-7f3a91c2';
const OTHER = 'other-e2e-py-5be0d4aa';
const TOTAL = 250;
const SECRETS = {
  DATIVO_SECRET__TEST_TENANT__API_TOKEN: TOKEN,
  DATIVO_SECRET__TEST_TENANT__OTHER_TOKEN: OTHER,
};

let tmp: string;
let server: http.Server;
let port = 0;
let requests: string[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'python-api-'));
  // 250 items, `page_size` a page, the next page in a Link header; a wrong token is a 401.
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end('{"error":"bad token"}');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const page = Number(url.searchParams.get('page') ?? '1');
    const size = Number(url.searchParams.get('page_size') ?? '100');
    const first = (page - 1) * size;
    const items = [];
    for (let id = first + 1; id <= Math.min(first + size, TOTAL); id++)
      items.push({ id, name: `item-${id}` });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (first + size < TOTAL)
      headers.link = `<http://127.0.0.1:${port}/items?page=${page + 1}&page_size=${size}>; rel="next"`;
    res.writeHead(200, headers).end(JSON.stringify({ items }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  requests = [];
});

function run(name: string, env: Record<string, string>) {
  return runCli(['run', '--config', JOB, '--state-dir', path.join(tmp, `state-${name}`), '--json'], {
    env: { ...SECRETS, API_PORT: String(port), OUT_DIR: path.join(tmp, name), ...env },
    timeoutMs: 300_000,
  });
}

function expectNoSecrets(out: string): void {
  expect(out).not.toContain(TOKEN);
  expect(out).not.toContain(OTHER);
}

describe('a Python API reader over the host HTTP', () => {
  it('granted host and secret: 250 records over 3 pages, read back by DuckDB', async () => {
    const r = await run('granted', { ALLOW_HOST: `127.0.0.1:${port}` });
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).rows).toEqual({ read: TOTAL, written: TOTAL, invalid: 0 });
    expect(requests).toHaveLength(3);
    const [row] = await duck<{ n: bigint; ids: bigint; maxid: bigint; last: string }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS ids, max(id) AS maxid,
              max(CASE WHEN id = 250 THEN name END) AS last
         FROM read_parquet('${path.join(tmp, 'granted')}/**/*.parquet')`,
    );
    expect(Number(row?.n)).toBe(TOTAL);
    expect(Number(row?.ids)).toBe(TOTAL);
    expect(Number(row?.maxid)).toBe(TOTAL);
    expect(row?.last).toBe('item-250');
    expect(r.stderr).toContain('read 3 pages');
    expectNoSecrets(r.stdout + r.stderr);
  }, 320_000);

  it('an ungranted host: requests.ConnectionError with the denial, 0 requests, exit 2', async () => {
    const r = await run('nohost', { ALLOW_HOST: '127.0.0.1:1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `ConnectionError: plugin api_reader: network access to 127.0.0.1:${port} denied (capability network, resource 127.0.0.1:${port}); granted hosts: 127.0.0.1:1`,
    );
    expect(r.stderr).toContain('"event_type":"plugin_denied"');
    expect(r.stderr).not.toMatch(/Traceback|\n\s+at /);
    expect(requests).toHaveLength(0);
    expect(existsSync(path.join(tmp, 'nohost')) ? await parquetCount(path.join(tmp, 'nohost')) : 0).toBe(0);
    expectNoSecrets(r.stdout + r.stderr);
  }, 320_000);

  it('an ungranted secret: KeyError naming the denial, value in no output, exit 2', async () => {
    const r = await run('nosecret', { ALLOW_HOST: `127.0.0.1:${port}`, TOKEN_SECRET: 'other_token' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'KeyError: \'plugin api_reader: secret "other_token" denied (capability secret, resource other_token); granted secrets: api_token\'',
    );
    expect(requests).toHaveLength(0);
    expectNoSecrets(r.stdout + r.stderr);
  }, 320_000);

  it("an ungranted ${secret:…} in a Python reader's config: refused before it starts, exit 2", async () => {
    const job = 'tests/fixtures/python-plugins/jobs/config_secret_reader.yaml';
    const r = await runCli(['run', '--config', job, '--state-dir', path.join(tmp, 'state-cfg')], {
      env: { ...SECRETS, OUT_DIR: path.join(tmp, 'cfg') },
      timeoutMs: 300_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'its config key source.connection.note uses secret "api_token", which is not granted to the plugin',
    );
    expect(r.stderr).not.toMatch(/Traceback|\n\s+at /);
    expectNoSecrets(r.stdout + r.stderr);
  }, 320_000);
});

async function parquetCount(dir: string): Promise<number> {
  const { glob } = await import('tinyglobby');
  return (await glob('**/*.parquet', { cwd: dir })).length;
}
