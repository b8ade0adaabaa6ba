/**
 * The Rust CSV reader plugin through `dativo run`: a CSV file (quoted fields, CRLF, doubled
 * quotes, empty and null fields) read through the host's file capability (the job's
 * source.files, by logical name) or served over HTTP from 127.0.0.1, typed by the orders-like
 * contract, into Parquet read back by DuckDB.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { REPO, reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';

const CSV =
  'id,name,amount,active,day,note\r\n' +
  '1,"Smith, Anna",10.50,true,2024-01-31,"said ""hi"""\r\n' +
  '2,Bob,0.01,false,2024-02-29,\r\n' +
  '3,"multi\r\nline",-3.25,true,2023-12-01,""\r\n' +
  Array.from({ length: 2997 }, (_, i) => `${i + 4},n${i + 4},${i + 4}.00,${i % 2 === 0},2024-03-01,x`).join(
    '\n',
  ) +
  '\n';

let tmp: string;
let server: Server;
let hostPort: string;
let pluginDir: string;

beforeAll(async () => {
  execFileSync('bash', ['scripts/build-rust-plugins.sh', '-p', 'csv-reader'], {
    cwd: REPO,
    stdio: 'inherit',
  });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'dativo-rust-csv-'));
  const body = Buffer.from(CSV);
  server = createServer((req, res) => {
    const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    if (!m) return void res.writeHead(200).end(body);
    const start = Number(m[1]);
    const end = Math.min(m[2] ? Number(m[2]) : body.length - 1, body.length - 1);
    if (start >= body.length) return void res.writeHead(416).end();
    res
      .writeHead(206, { 'content-range': `bytes ${start}-${end}/${body.length}` })
      .end(body.subarray(start, end + 1));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hostPort = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The packaged plugin, its manifest requesting this server's host:port.
  pluginDir = path.join(tmp, 'csv-reader');
  const built = path.join(REPO, '.run/rust-plugins/csv-reader');
  execFileSync('mkdir', ['-p', pluginDir]);
  const manifest = parse(readFileSync(path.join(built, 'dativo-plugin.yaml'), 'utf8'));
  manifest.capabilities.network.hosts = [hostPort];
  writeFileSync(path.join(pluginDir, 'dativo-plugin.yaml'), stringify(manifest));
  copyFileSync(path.join(built, 'plugin.wasm'), path.join(pluginDir, 'plugin.wasm'));
  writeFileSync(
    path.join(tmp, 'contract.yaml'),
    stringify({
      apiVersion: 'v3.0.2',
      kind: 'DataContract',
      id: 'rust-csv',
      name: 'rows',
      version: '1.0',
      status: 'active',
      schema: [
        { name: 'id', type: 'integer', required: true },
        { name: 'name', type: 'string', required: true },
        { name: 'amount', type: 'decimal(12,2)', required: true },
        { name: 'active', type: 'boolean', required: true },
        { name: 'day', type: 'date', required: true },
        { name: 'note', type: 'string', required: false },
      ],
    }),
  );
}, 900_000);

afterAll(async () => {
  server?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('the Rust CSV reader plugin', () => {
  it('runs through dativo run into Parquet with the contract types; DuckDB reads it back', async () => {
    const out = path.join(tmp, 'out');
    const job = path.join(tmp, 'job.yaml');
    writeFileSync(
      job,
      stringify({
        tenant_id: 'test_tenant',
        source_connector_path: 'connectors/csv.yaml',
        target_connector_path: 'connectors/local.yaml',
        asset_path: path.join(tmp, 'contract.yaml'),
        source: {
          plugin: { path: pluginDir, allow: { hosts: [hostPort], timeout_ms: 20_000 } },
          url: `http://${hostPort}/rows.csv`,
          batch_size: 1000,
          chunk_mb: 0.01, // many small range reads: records cross chunk boundaries
        },
        target: { connection: { path: out } },
      }),
    );
    const r = await runCli(['run', '--config', job, '--state-dir', path.join(tmp, 'state'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).rows.written).toBe(3000);
    const glob = `${out}/**/*.parquet`;
    const types = await duck<{ column_name: string; column_type: string }>(
      `DESCRIBE SELECT * FROM read_parquet('${glob}', hive_partitioning = false)`,
    );
    expect(types.map((t) => `${t.column_name}:${t.column_type}`)).toEqual([
      'id:BIGINT',
      'name:VARCHAR',
      'amount:DECIMAL(12,2)',
      'active:BOOLEAN',
      'day:DATE',
      'note:VARCHAR',
    ]);
    const first = await duck<Record<string, unknown>>(
      `SELECT id, name, amount::VARCHAR AS amount, active, day::VARCHAR AS day, note FROM read_parquet('${glob}', hive_partitioning = false) WHERE id <= 3 ORDER BY id`,
    );
    expect(first.map((x) => ({ ...x, id: Number(x.id) }))).toEqual([
      { id: 1, name: 'Smith, Anna', amount: '10.50', active: true, day: '2024-01-31', note: 'said "hi"' },
      { id: 2, name: 'Bob', amount: '0.01', active: false, day: '2024-02-29', note: null },
      { id: 3, name: 'multi\r\nline', amount: '-3.25', active: true, day: '2023-12-01', note: '' },
    ]);
    const [agg] = await duck<{ n: bigint; d: bigint; hi: bigint }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS d, max(id) AS hi FROM read_parquet('${glob}', hive_partitioning = false)`,
    );
    expect([Number(agg?.n), Number(agg?.d), Number(agg?.hi)]).toEqual([3000, 3000, 3000]);
  });

  it('reads source.files (a glob over two files) through the file capability, without any network grant', async () => {
    const data = path.join(tmp, 'landing');
    execFileSync('mkdir', ['-p', data]);
    // Two files with the same header; the second holds rows 2001..3000.
    const header = 'id,name,amount,active,day,note\r\n';
    const body = CSV.slice(header.length);
    const cut = body.indexOf('\n2001,') + 1;
    writeFileSync(path.join(data, 'part-1.csv'), header + body.slice(0, cut));
    writeFileSync(path.join(data, 'part-2.csv'), header + body.slice(cut));
    const out = path.join(tmp, 'out-files');
    const job = path.join(tmp, 'job-files.yaml');
    writeFileSync(
      job,
      stringify({
        tenant_id: 'test_tenant',
        source_connector_path: 'connectors/csv.yaml',
        target_connector_path: 'connectors/local.yaml',
        asset_path: path.join(tmp, 'contract.yaml'),
        source: {
          plugin: { path: pluginDir, allow: { hosts: [], timeout_ms: 20_000 } },
          files: [{ path: path.join(data, 'part-*.csv') }],
          batch_size: 700,
          chunk_mb: 0.01, // many small reads: records cross chunk boundaries
        },
        target: { connection: { path: out } },
      }),
    );
    const r = await runCli(['run', '--config', job, '--state-dir', path.join(tmp, 'state-files'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).rows.written).toBe(3000);
    const glob = `${out}/**/*.parquet`;
    const first = await duck<Record<string, unknown>>(
      `SELECT id, name, amount::VARCHAR AS amount, note FROM read_parquet('${glob}', hive_partitioning = false) WHERE id IN (1, 3, 2000, 2001) ORDER BY id`,
    );
    expect(first.map((x) => ({ ...x, id: Number(x.id) }))).toEqual([
      { id: 1, name: 'Smith, Anna', amount: '10.50', note: 'said "hi"' },
      { id: 3, name: 'multi\r\nline', amount: '-3.25', note: '' },
      { id: 2000, name: 'n2000', amount: '2000.00', note: 'x' },
      { id: 2001, name: 'n2001', amount: '2001.00', note: 'x' },
    ]);
    const [agg] = await duck<{ n: bigint; d: bigint }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS d FROM read_parquet('${glob}', hive_partitioning = false)`,
    );
    expect([Number(agg?.n), Number(agg?.d)]).toEqual([3000, 3000]);
  });

  it('a host the job did not allow is denied, naming the capability, and nothing is written', async () => {
    const out = path.join(tmp, 'denied');
    const job = path.join(tmp, 'denied.yaml');
    writeFileSync(
      job,
      stringify({
        tenant_id: 'test_tenant',
        source_connector_path: 'connectors/csv.yaml',
        target_connector_path: 'connectors/local.yaml',
        asset_path: path.join(tmp, 'contract.yaml'),
        source: { plugin: { path: pluginDir, allow: { hosts: [] } }, url: `http://${hostPort}/rows.csv` },
        target: { connection: { path: out } },
      }),
    );
    const r = await runCli(['run', '--config', job, '--state-dir', path.join(tmp, 'state2'), '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PLUGIN_DENIED|denied/);
    expect(r.stderr).toContain('network');
  });
});
