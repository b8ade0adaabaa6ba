/** DuckDB checks what the Parquet writer claims: metadata, codec, row groups, field ids, partitions, rolling. */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCsv } from '../../bench/gen-csv.js';
import { reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';

let tmp: string;
const ROWS = 60_000;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-claims-'));
  await mkdir(path.join(tmp, 'in'));
  await generateCsv(path.join(tmp, 'in', 'orders.csv'), ROWS, 7);
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function runJob(job: string, out: string) {
  const r = await runCli(
    [
      'run',
      '--config',
      `tests/fixtures/jobs/${job}.yaml`,
      '--state-dir',
      path.join(tmp, `state-${job}`),
      '--json',
    ],
    { env: { IN_DIR: path.join(tmp, 'in'), OUT_DIR: out } },
  );
  expect(r.code, r.stderr).toBe(0);
  return reportOf(r);
}

async function parquetFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((e) => e.endsWith('.parquet')).map((e) => path.join(dir, e));
}

describe('partitioned output with tags', () => {
  let out: string;
  let files: string[];
  beforeAll(async () => {
    out = path.join(tmp, 'partitioned');
    await runJob('orders_partitioned', out);
    files = await parquetFiles(out);
  });

  it('has Hive-style partition folders by country and ingest_date, in the original key layout', () => {
    const today = new Date().toISOString().slice(0, 10);
    const rel = files.map((f) => path.relative(out, f));
    expect(rel.length).toBeGreaterThanOrEqual(12);
    for (const f of rel) {
      expect(f).toMatch(
        new RegExp(`^sales/synthetic/orders/country=[a-z]{2}/ingest_date=${today}/[^/]+\\.parquet$`),
      );
    }
    const countries = new Set(rel.map((f) => f.split('/')[3]));
    expect(countries.size).toBe(12);
  });

  it('keeps every row, with partition values matching the data', async () => {
    const [row] = await duck<{ n: bigint; bad: bigint }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE lower(country) <> country_part) AS bad
       FROM (SELECT *, regexp_extract(filename, 'country=([a-z]+)', 1) AS country_part
             FROM read_parquet('${out}/**/*.parquet', filename = true, hive_partitioning = false))`,
    );
    expect(Number(row?.n)).toBe(ROWS);
    expect(Number(row?.bad)).toBe(0);
  });

  it('writes the dativo.* key-value metadata: contract, classification, FinOps', async () => {
    const kv = await duck<{ key: string; value: string }>(
      `SELECT DISTINCT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata('${files[0]}')`,
    );
    const m = Object.fromEntries(kv.map((r) => [r.key, r.value]));
    expect(m['dativo.contract.id']).toBe('0b6f3c9e-4d2a-4c57-9e1b-7a8d5c3f2e10');
    expect(m['dativo.contract.version']).toBe('1.0');
    expect(m['dativo.classification.fields.email']).toBe('high_pii');
    expect(m['dativo.classification.fields.customer_name']).toBe('pii');
    expect(m['dativo.classification.default']).toBe('internal');
    expect(m['dativo.finops.cost_center']).toBe('FIN-777');
    expect(m['dativo.finops.project']).toBe('e2e');
    // no `column` tag on every field (the original's bug)
    expect(Object.values(m)).not.toContain('column');
  });

  it('uses zstd and the configured row-group size', async () => {
    const rows = await duck<{ compression: string; row_group_num_rows: bigint; file_name: string }>(
      `SELECT compression, row_group_num_rows, file_name FROM parquet_metadata('${out}/**/*.parquet')`,
    );
    expect(new Set(rows.map((r) => r.compression))).toEqual(new Set(['ZSTD']));
    for (const r of rows) expect(Number(r.row_group_num_rows)).toBeLessThanOrEqual(5000);
    expect(rows.some((r) => Number(r.row_group_num_rows) === 5000)).toBe(true);
  });

  it('stores field ids and logical types', async () => {
    const schema = await duck<{
      name: string;
      field_id: number | null;
      logical_type: string | null;
      type: string;
    }>(
      `SELECT name, field_id, CAST(logical_type AS VARCHAR) AS logical_type, type FROM parquet_schema('${files[0]}')`,
    );
    const byName = Object.fromEntries(schema.map((s) => [s.name, s]));
    expect(Number(byName.order_id?.field_id)).toBe(1);
    expect(Number(byName.note?.field_id)).toBe(12);
    expect(byName.amount?.logical_type).toMatch(/Decimal/i);
    expect(byName.order_date?.logical_type).toMatch(/Date/i);
    expect(byName.updated_at?.logical_type).toMatch(/Timestamp/i);
    const types = await duck<{ column_name: string; column_type: string }>(
      `DESCRIBE SELECT * FROM read_parquet('${files[0]}')`,
    );
    const t = Object.fromEntries(types.map((r) => [r.column_name, r.column_type]));
    expect(t).toMatchObject({
      order_id: 'BIGINT',
      amount: 'DECIMAL(12,2)',
      unit_price: 'DOUBLE',
      is_active: 'BOOLEAN',
      order_date: 'DATE',
      updated_at: 'TIMESTAMP',
      note: 'VARCHAR',
    });
  });
});

describe('rolling files', () => {
  it('rolls files near parquet_target_size_mb and keeps every row', async () => {
    const out = path.join(tmp, 'rolling');
    const report = await runJob('orders_rolling', out);
    const sizes = report.files.map((f: { bytes: number }) => f.bytes) as number[];
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    // every file but the last is near the 1 MB target
    for (const s of sizes.slice(0, -1)) {
      expect(s).toBeGreaterThan(0.6e6);
      expect(s).toBeLessThan(1.6e6);
    }
    const [row] = await duck<{ n: bigint; d: bigint }>(
      `SELECT count(*) AS n, count(DISTINCT order_id) AS d FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect(Number(row?.n)).toBe(ROWS);
    expect(Number(row?.d)).toBe(ROWS);
  });
});
