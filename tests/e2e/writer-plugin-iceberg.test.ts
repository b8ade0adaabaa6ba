/**
 * A writer plugin into an Iceberg table (local warehouse) through `dativo run`: a Rust test plugin
 * (tests/e2e/pdk/parquet-writer) writes plain Parquet; the host checks its footer against the
 * contract, re-encodes the rows with the table's data-file writer and commits one snapshot per
 * run. icebird and DuckDB read the table back; bad outputs exit 2 before a table exists; a SIGKILL
 * on either side of the commit is recovered by the next run.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { icebergRead } from 'icebird';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REPO, reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';
import { installFileFetch } from '../unit/iceberg/helpers.js';
import { buildRustPlugins, RUST_PLUGINS, rustPluginDir } from './pdk/fixtures.js';

const ROWS = 3000;
const COLUMNS = ['id', 'customer', 'total', 'weight', 'paid', 'order_date', 'shipped_at', 'attrs'];
let parquetPlugin: string;
let tmp: string;
let restore: () => void;

const CONTRACT = `apiVersion: v3.0.2
kind: DataContract
id: 3b9f3f0e-7f43-4c1e-a7b1-1c0f2f5e6d71
name: orders
version: "1.0"
status: active
domain: plugins
dataProduct: parquet
schema:
  - { name: id, type: bigint, required: true }
  - { name: customer, type: string, required: true }
  - { name: total, type: "decimal(12,2)" }
  - { name: weight, type: double }
  - { name: paid, type: boolean }
  - { name: order_date, type: date }
  - { name: shipped_at, type: timestamp }
  - { name: attrs, type: object }
`;

function csvLine(i: number): string {
  const day = `2023-01-${String(1 + (i % 28)).padStart(2, '0')}`;
  const cells = [
    String(i),
    i % 11 === 0 ? `"Müller, ""K"" ${i}"` : `customer ${i}`,
    i % 13 === 0 ? '' : `${Math.floor(i / 3)}.${String(i % 100).padStart(2, '0')}`,
    i % 17 === 0 ? '' : String(i / 8),
    i % 19 === 0 ? '' : String(i % 2 === 0),
    day,
    i % 29 === 0 ? '' : `${day} ${String(i % 24).padStart(2, '0')}:15:30.250000`,
    `"{""k"": ${i}, ""tag"": ""t${i % 5}""}"`,
  ];
  return cells.join(',');
}

// The recipe's S3 connection template interpolates these; the local warehouse never uses them.
const ENV = {
  S3_ENDPOINT: 'http://127.0.0.1:1',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'y',
  AWS_REGION: 'us-east-1',
};

beforeAll(async () => {
  restore = installFileFetch();
  buildRustPlugins('pdk-parquet-writer', 'jsonl-writer');
  parquetPlugin = rustPluginDir('pdk-parquet-writer', { role: 'writer', capabilities: { output_mb: 256 } });
}, 600_000);
afterAll(async () => {
  restore();
  await rm(parquetPlugin, { recursive: true, force: true });
});
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-e2e-plugin-ice-'));
  const lines = [COLUMNS.join(',')];
  for (let i = 1; i <= ROWS; i++) lines.push(csvLine(i));
  await writeFile(path.join(tmp, 'orders.csv'), `${lines.join('\n')}\n`);
  await writeFile(path.join(tmp, 'contract.yaml'), CONTRACT);
});
afterEach(() => rm(tmp, { recursive: true, force: true }));

async function writeJob(plugin: string, config: Record<string, unknown> = { json_columns: ['attrs'] }) {
  const job = {
    tenant_id: 'test_tenant',
    source_connector_path: 'connectors/csv.yaml',
    target_connector_path: 'connectors/iceberg.yaml',
    asset_path: path.join(tmp, 'contract.yaml'),
    source: { files: [{ path: path.join(tmp, 'orders.csv'), object: 'orders' }] },
    // the rest of the target block is the plugin's config
    target: { plugin: { path: plugin }, warehouse: path.join(tmp, 'warehouse'), ...config },
  };
  const file = path.join(tmp, 'job.yaml');
  await writeFile(file, JSON.stringify(job, null, 2));
  return file;
}

const run = (job: string, extra: Record<string, string> = {}) =>
  runCli(['run', '--config', job, '--state-dir', path.join(tmp, 'state'), '--json'], {
    env: { ...ENV, ...extra },
  });

const tableDir = () => path.join(tmp, 'warehouse', 'plugins', 'orders');
const tableUrl = () => pathToFileURL(tableDir()).href;

async function snapshotCount(): Promise<number> {
  const meta = path.join(tableDir(), 'metadata');
  const v = (await readFile(path.join(meta, 'version-hint.text'), 'utf8')).trim();
  const md = JSON.parse(await readFile(path.join(meta, `v${v}.metadata.json`), 'utf8'));
  return (md.snapshots ?? []).length;
}

async function dataFiles(): Promise<string[]> {
  const files = await readdir(path.join(tableDir(), 'data'), { recursive: true });
  return files.filter((f) => f.endsWith('.parquet')).map((f) => path.join(tableDir(), 'data', f));
}

async function tableExists(): Promise<boolean> {
  return readdir(tableDir()).then(
    () => true,
    () => false,
  );
}

describe('a writer plugin into Iceberg (local warehouse)', () => {
  it('commits the plugin Parquet as one snapshot with field ids; icebird and DuckDB read every row; a rerun has nothing new', async () => {
    const job = await writeJob(parquetPlugin);
    const r = await run(job);
    expect(r.code, r.stderr).toBe(0);
    const report = reportOf(r);
    expect(report.status).toBe('succeeded');
    expect(report.rows.written).toBe(ROWS);
    expect(await snapshotCount()).toBe(1);

    const rows = await icebergRead({ tableUrl: tableUrl() });
    expect(rows).toHaveLength(ROWS);
    expect(new Set(rows.map((x) => Number(x.id))).size).toBe(ROWS);

    const files = await dataFiles();
    expect(files.length).toBeGreaterThan(0);
    const schema = await duck<{ name: string; field_id: number | null }>(
      `SELECT name, field_id FROM parquet_schema('${files[0]}') WHERE field_id IS NOT NULL`,
    );
    expect(schema.map((s) => [s.name, Number(s.field_id)])).toEqual(COLUMNS.map((c, i) => [c, i + 1]));

    const glob = `${tableDir()}/data/**/*.parquet`;
    const [agg] = await duck<Record<string, unknown>>(
      `SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids, typeof(any_value(total)) AS total_t,
              typeof(any_value(shipped_at)) AS ts_t, count(total)::INT AS totals, count(shipped_at)::INT AS stamps
       FROM read_parquet('${glob}')`,
    );
    expect(agg).toEqual({
      n: ROWS,
      ids: ROWS,
      total_t: 'DECIMAL(12,2)',
      ts_t: 'TIMESTAMP', // utc: auto and naive values in the CSV: a naive timestamp, as the native path
      totals: ROWS - Math.floor(ROWS / 13),
      stamps: ROWS - Math.floor(ROWS / 29),
    });
    const [one] = await duck<Record<string, unknown>>(
      `SELECT id::INT AS id, customer, total::VARCHAR AS total, weight, paid, order_date::VARCHAR AS d,
              strftime(shipped_at, '%Y-%m-%d %H:%M:%S.%f') AS ts, attrs
       FROM read_parquet('${glob}') WHERE id = 22`,
    );
    expect(one).toEqual({
      id: 22,
      customer: 'Müller, "K" 22',
      total: '7.22',
      weight: 2.75,
      paid: true,
      d: '2023-01-23',
      ts: '2023-01-23 22:15:30.250000',
      attrs: '{"k": 22, "tag": "t2"}',
    });

    const again = await run(job);
    expect(again.code, again.stderr).toBe(0);
    expect(reportOf(again).status).toBe('nothing_new');
    expect(await snapshotCount()).toBe(1);
  }, 240_000);

  it('a JSON Lines output exits 2 naming the file, and no table is created', async () => {
    const job = await writeJob(path.join(RUST_PLUGINS, 'jsonl-writer'), {});
    const r = await run(job);
    expect(r.code, r.stderr).toBe(2);
    const err = reportOf(r).errors[0];
    expect(err.code).toBe('PLUGIN_BAD_OUTPUT');
    expect(err.message).toContain('output orders.jsonl of plugin jsonl-writer is not a Parquet file');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await tableExists()).toBe(false);
  }, 240_000);

  it('a column whose Parquet type does not map exits 2 naming file, column, expected and found type', async () => {
    const job = await writeJob(parquetPlugin, { uint_columns: ['id'] });
    const r = await run(job);
    expect(r.code, r.stderr).toBe(2);
    const err = reportOf(r).errors[0];
    expect(err.code).toBe('PLUGIN_BAD_OUTPUT');
    expect(err.message).toBe(
      'output orders.parquet of plugin pdk-parquet-writer column id: expected long, found uint_64',
    );
    expect(await tableExists()).toBe(false);
  }, 240_000);

  it('SIGKILL before the commit leaves no snapshot; the rerun adds every row once', async () => {
    const job = await writeJob(parquetPlugin);
    const killed = await run(job, { DATIVO_TEST_CRASH_AT: 'before-record' });
    expect(killed.signal).toBe('SIGKILL');
    expect(await snapshotCount()).toBe(0);

    const rerun = await run(job);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(reportOf(rerun).rows.written).toBe(ROWS);
    expect(await icebergRead({ tableUrl: tableUrl() })).toHaveLength(ROWS);
    expect(await snapshotCount()).toBe(1);
  }, 240_000);

  it('SIGKILL after the commit: the next run has nothing new', async () => {
    const job = await writeJob(parquetPlugin);
    const killed = await run(job, { DATIVO_TEST_CRASH_AT: 'after-record' });
    expect(killed.signal).toBe('SIGKILL');
    expect(await snapshotCount()).toBe(1);

    const next = await run(job);
    expect(next.code, next.stderr).toBe(0);
    expect(reportOf(next).status).toBe('nothing_new');
    expect(await snapshotCount()).toBe(1);
    expect(await icebergRead({ tableUrl: tableUrl() })).toHaveLength(ROWS);
  }, 240_000);

  it('validate refuses a misspelt key in the Iceberg target block with its position', async () => {
    const job = path.join(tmp, 'bad.yaml');
    await writeFile(
      job,
      [
        'tenant_id: test_tenant',
        'source_connector_path: connectors/csv.yaml',
        'target_connector_path: connectors/iceberg.yaml',
        `asset_path: ${path.join(tmp, 'contract.yaml')}`,
        'source:',
        '  files:',
        `    - path: ${path.join(tmp, 'orders.csv')}`,
        '      object: orders',
        'target:',
        `  plugin: { path: ${parquetPlugin} }`,
        '  connection:',
        '    s3:',
        '      bukket: lake',
        '',
      ].join('\n'),
    );
    const r = await runCli(['validate', '--config', job], { env: ENV, cwd: REPO });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:13:\d+/);
    expect(r.stderr).toContain('unknown key "bukket"');
    expect(r.stderr).toContain('bucket');
  }, 60_000);
});
