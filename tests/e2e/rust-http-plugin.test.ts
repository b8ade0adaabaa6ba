/**
 * The first-party Rust HTTP JSON reader through `dativo run`: 100,000 records from a local paginated
 * API (cursor paging, 1,000 per page) with one 429 on the way, retried by the host (the plugin has no
 * clock), into Parquet read back by DuckDB with exact counts and values.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { REPO, reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';
import { apiRecord, type PaginatedServer, startPaginatedServer } from '../helpers/paginated-server.js';

/** Packaged by scripts/build-rust-plugins.sh (module + manifest with its sha256). */
const PLUGIN = path.join(REPO, '.run/rust-plugins/http-json-reader');
const TOTAL = 100_000;
let tmp: string;

const CONTRACT = `apiVersion: v3.0.2
kind: DataContract
id: 7d0c6a52-3a51-4f0e-9d55-2f4f3a2b9c10
name: api_records
version: "1.0"
status: active
domain: plugins
dataProduct: http
schema:
  - { name: id, type: bigint, required: true }
  - { name: name, type: string, required: true }
  - { name: amount, type: double }
  - { name: active, type: boolean }
  - { name: note, type: string }
  - { name: created_at, type: timestamp }
`;

const FIELDS = [
  { name: 'id', type: 'int64', required: true },
  { name: 'name', type: 'string', required: true },
  { name: 'amount', type: 'float64' },
  { name: 'active', type: 'bool' },
  { name: 'note', type: 'string' },
  { name: 'created_at', type: 'timestamp' },
];

function sourceConfig(server: PaginatedServer, fields: unknown[] = FIELDS) {
  return {
    url: server.url,
    records_path: 'data',
    pagination: {
      type: 'cursor',
      cursor_param: 'cursor',
      cursor_path: 'meta.next_cursor',
      size_param: 'per_page',
      page_size: 1000,
    },
    fields,
  };
}

/** A copy of the built plugin whose manifest requests the test server's host:port. */
async function pluginFor(server: PaginatedServer, name: string): Promise<string> {
  const dir = path.join(tmp, name);
  await cp(PLUGIN, dir, { recursive: true });
  const file = path.join(dir, 'dativo-plugin.yaml');
  const doc = parseDocument(await readFile(file, 'utf8'));
  doc.setIn(['capabilities', 'network', 'hosts'], [server.hostPort]);
  doc.setIn(['capabilities', 'http', 'initial_delay_ms'], 10);
  doc.set('streams', [{ name: 'records', contract: '../contract.yaml' }]);
  await writeFile(file, doc.toString());
  return dir;
}

async function jobFile(name: string, pluginDir: string, source: Record<string, unknown>): Promise<string> {
  const job = {
    tenant_id: 'test_tenant',
    source_connector_path: 'connectors/csv.yaml',
    target_connector_path: 'connectors/local.yaml',
    asset_path: path.join(tmp, 'contract.yaml'),
    source: { plugin: { path: pluginDir, allow: { hosts: ['127.0.0.1'] } }, ...source },
    target: { connection: { path: path.join(tmp, name, 'out') } },
  };
  const file = path.join(tmp, `${name}.json.yaml`);
  await writeFile(file, JSON.stringify(job, null, 2));
  return file;
}

beforeAll(async () => {
  execFileSync('bash', ['scripts/build-rust-plugins.sh', '-p', 'http-json-reader'], {
    cwd: REPO,
    stdio: 'inherit',
  });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-http-plugin-'));
  await writeFile(path.join(tmp, 'contract.yaml'), CONTRACT);
}, 600_000);
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('the Rust HTTP JSON reader', () => {
  it('ingests 100k paginated records through dativo run, with one 429 retried by the host', async () => {
    const server = await startPaginatedServer({
      total: TOTAL,
      pageSize: 1000,
      failOn: { 3: { status: 429, retryAfter: '1' } },
    });
    try {
      const pluginDir = await pluginFor(server, 'reader-run');
      const job = await jobFile('run', pluginDir, sourceConfig(server));
      const r = await runCli(
        ['run', '--config', job, '--state-dir', path.join(tmp, 'run', 'state'), '--json'],
        {
          timeoutMs: 300_000,
        },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(reportOf(r).rows.written).toBe(TOTAL);
      // 100 pages plus the one answered 429 and asked again.
      expect(server.statuses.filter((s) => s === 429)).toHaveLength(1);
      expect(server.requests).toHaveLength(101);
      expect(server.requests[2]).toBe(server.requests[3]);

      const glob = `${tmp}/run/out/**/*.parquet`;
      const [agg] = await duck<{ n: bigint; d: bigint; s: bigint; notes: bigint; act: bigint; amt: number }>(
        `SELECT count(*) AS n, count(DISTINCT id) AS d, sum(id) AS s, count(note) AS notes,
                count(*) FILTER (WHERE active) AS act, sum(amount) AS amt FROM read_parquet('${glob}')`,
      );
      expect(Number(agg?.n)).toBe(TOTAL);
      expect(Number(agg?.d)).toBe(TOTAL);
      expect(Number(agg?.s)).toBe((TOTAL * (TOTAL + 1)) / 2);
      expect(Number(agg?.notes)).toBe(TOTAL - Math.floor(TOTAL / 7));
      expect(Number(agg?.act)).toBe(TOTAL - Math.floor(TOTAL / 3));
      let amount = 0;
      for (let id = 1; id <= TOTAL; id++) amount += apiRecord(id).amount;
      expect(agg?.amt).toBeCloseTo(amount, 2);

      const ids = [1, 7, 999, 1000, 1001, 54321, TOTAL];
      const rows = await duck<{
        id: bigint;
        name: string;
        amount: number;
        active: boolean;
        note: string | null;
        us: bigint;
      }>(
        `SELECT id, name, amount, active, note, epoch_us(created_at) AS us FROM read_parquet('${glob}')
         WHERE id IN (${ids.join(',')}) ORDER BY id`,
      );
      expect(
        rows.map((x) => ({
          id: Number(x.id),
          name: x.name,
          amount: x.amount,
          active: x.active,
          note: x.note,
          us: Number(x.us),
        })),
      ).toEqual(
        ids.map((id) => {
          const e = apiRecord(id);
          return {
            id,
            name: e.name,
            amount: e.amount,
            active: e.active,
            note: e.note,
            us: Date.parse(e.created_at) * 1000,
          };
        }),
      );
    } finally {
      await server.close();
    }
  });

  it('plugin test checks its batches against the contract and stops at the first mismatch', async () => {
    const server = await startPaginatedServer({ total: 2500, pageSize: 1000 });
    try {
      const pluginDir = await pluginFor(server, 'reader-test');
      const good = path.join(tmp, 'good-config.yaml');
      await writeFile(good, JSON.stringify(sourceConfig(server)));
      const ok = await runCli(['plugin', 'test', pluginDir, '--config', good]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stderr).toContain('batch 3: 500 rows');
      expect(ok.stderr).toContain('2500 rows in 3 batches match contract ../contract.yaml');

      const bad = path.join(tmp, 'bad-config.yaml');
      const fields = FIELDS.map((f) => (f.name === 'amount' ? { ...f, type: 'string' } : f));
      await writeFile(bad, JSON.stringify(sourceConfig(server, fields)));
      const fail = await runCli(['plugin', 'test', pluginDir, '--config', bad]);
      expect(fail.code).toBe(2);
      expect(fail.stderr).toContain(
        'FAIL http-json-reader: batch 1: column "amount" is Utf8, the contract\'s double needs Float64',
      );
    } finally {
      await server.close();
    }
  });
});
