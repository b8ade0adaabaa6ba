/**
 * The first-party Rust JSON Lines writer through `dativo run`: the native CSV source, validated
 * against a contract with every contract type, into the writer plugin; the host publishes its output
 * atomically. DuckDB reads the JSON Lines back and every value is compared with the source rows.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';

/** Packaged by scripts/build-rust-plugins.sh (module + manifest with its sha256). */
const PLUGIN = path.join(REPO, '.run/rust-plugins/jsonl-writer');
const ROWS = 5000;
let tmp: string;

const CONTRACT = `apiVersion: v3.0.2
kind: DataContract
id: 3b9f3f0e-7f43-4c1e-a7b1-1c0f2f5e6d70
name: orders
version: "1.0"
status: active
domain: plugins
dataProduct: jsonl
schema:
  - { name: id, type: bigint, required: true }
  - { name: customer, type: string, required: true }
  - { name: total, type: "decimal(12,2)" }
  - { name: weight, type: double }
  - { name: paid, type: boolean }
  - { name: order_date, type: date }
  - { name: shipped_at, type: timestamp }
`;

interface Row {
  id: number;
  customer: string;
  total: string | null;
  weight: number | null;
  paid: boolean | null;
  order_date: string | null;
  shipped_at: string | null;
}

function row(i: number): Row {
  const day = new Date(Date.UTC(2023, 0, 1) + (i % 400) * 86_400_000).toISOString().slice(0, 10);
  return {
    id: i,
    customer: i % 11 === 0 ? `Müller, "K" ${i}` : `customer ${i}`,
    total: i % 13 === 0 ? null : `${Math.floor(i / 3)}.${String(i % 100).padStart(2, '0')}`,
    weight: i % 17 === 0 ? null : i / 8,
    paid: i % 19 === 0 ? null : i % 2 === 0,
    order_date: i % 23 === 0 ? null : day,
    shipped_at: i % 29 === 0 ? null : `${day} ${String(i % 24).padStart(2, '0')}:15:30.250000`,
  };
}

function csvCell(v: unknown): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

beforeAll(async () => {
  execFileSync('bash', ['scripts/build-rust-plugins.sh', '-p', 'jsonl-writer'], {
    cwd: REPO,
    stdio: 'inherit',
  });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-jsonl-plugin-'));
  const header = 'id,customer,total,weight,paid,order_date,shipped_at';
  const lines = [header];
  for (let i = 1; i <= ROWS; i++) lines.push(Object.values(row(i)).map(csvCell).join(','));
  await writeFile(path.join(tmp, 'orders.csv'), `${lines.join('\n')}\n`);
  await writeFile(path.join(tmp, 'contract.yaml'), CONTRACT);
}, 600_000);
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('the Rust JSON Lines writer', () => {
  it('writes every validated row as one JSON line, published by the host at commit', async () => {
    const out = path.join(tmp, 'out');
    const job = {
      tenant_id: 'test_tenant',
      source_connector_path: 'connectors/csv.yaml',
      target_connector_path: 'connectors/local.yaml',
      asset_path: path.join(tmp, 'contract.yaml'),
      source: { files: [{ path: path.join(tmp, 'orders.csv'), object: 'orders' }] },
      target: { plugin: { path: PLUGIN }, connection: { path: out } },
    };
    const file = path.join(tmp, 'job.yaml');
    await writeFile(file, JSON.stringify(job));
    const r = await runCli(['run', '--config', file, '--state-dir', path.join(tmp, 'state'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).rows.written).toBe(ROWS);

    const files = (await readdir(out, { recursive: true })).filter((f) => !f.startsWith('_dativo'));
    const jsonl = files.filter((f) => f.endsWith('.jsonl'));
    expect(jsonl, files.join(', ')).toHaveLength(1);
    expect(jsonl[0]).toMatch(/^plugins\/jsonl\/orders\/orders-r\d{8}T\d+-[0-9a-f]{6}\.jsonl$/);
    expect(files.some((f) => f.endsWith('.part'))).toBe(false);

    const target = path.join(out, jsonl[0]!);
    const text = await readFile(target, 'utf8');
    expect(text.split('\n').filter(Boolean)).toHaveLength(ROWS);
    // The exact text of a row with every kind of value, and one with nulls.
    expect(text.split('\n')[10]).toBe(
      '{"id":11,"customer":"Müller, \\"K\\" 11","total":3.11,"weight":1.375,"paid":false,"order_date":"2023-01-12","shipped_at":"2023-01-12T11:15:30.250000"}',
    );
    expect(JSON.parse(text.split('\n')[12]!)).toMatchObject({ id: 13, total: null });

    const back = await duck<{
      id: bigint;
      customer: string;
      total: string | null;
      weight: number | null;
      paid: boolean | null;
      order_date: string | null;
      shipped_at: string | null;
    }>(
      `SELECT id, customer, total::VARCHAR AS total, weight, paid, order_date::VARCHAR AS order_date,
              strftime(shipped_at, '%Y-%m-%d %H:%M:%S.%f') AS shipped_at
       FROM read_json('${target}', format = 'newline_delimited', columns = {
         id: 'BIGINT', customer: 'VARCHAR', total: 'DECIMAL(12,2)', weight: 'DOUBLE', paid: 'BOOLEAN',
         order_date: 'DATE', shipped_at: 'TIMESTAMP'}) ORDER BY id`,
    );
    expect(back).toHaveLength(ROWS);
    const got = back.map((b) => ({ ...b, id: Number(b.id) }));
    // The CSV's decimals already have their two digits, as DuckDB prints DECIMAL(12,2).
    expect(got).toEqual(Array.from({ length: ROWS }, (_, k) => row(k + 1)));
  });
});
