/**
 * The data plane end to end: the CLI as a subprocess on the real fixture files, every Parquet file
 * read back by DuckDB (never by our writer).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportOf, runCli } from '../helpers/cli.js';
import { duck, visibleCount } from '../helpers/duckdb.js';

let out: string;
let stateDir: string;

beforeEach(async () => {
  out = await mkdtemp(path.join(os.tmpdir(), 'dativo-e2e-out-'));
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'dativo-e2e-state-'));
});
afterEach(async () => {
  await rm(out, { recursive: true, force: true });
  await rm(stateDir, { recursive: true, force: true });
});

function run(job: string, extra: string[] = []) {
  return runCli(
    ['run', '--config', `tests/fixtures/jobs/${job}.yaml`, '--state-dir', stateDir, '--json', ...extra],
    {
      env: { OUT_DIR: out },
    },
  );
}

const parquet = () => `read_parquet('${out}/**/*.parquet', hive_partitioning = false)`;

async function columnTypes(): Promise<Record<string, string>> {
  const rows = await duck<{ column_name: string; column_type: string }>(
    `DESCRIBE SELECT * FROM ${parquet()}`,
  );
  return Object.fromEntries(rows.map((r) => [r.column_name, r.column_type]));
}

describe('original contracts on AdventureWorks and other real files', () => {
  it('Person.csv → 10 rows with the contract types', async () => {
    const r = await run('person');
    expect(r.code, r.stderr).toBe(0);
    const report = reportOf(r);
    expect(report.status).toBe('succeeded');
    expect(report.rows.written).toBe(10);
    expect(await visibleCount(out)).toBe(10);
    const types = await columnTypes();
    expect(types.BusinessEntityID).toBe('BIGINT');
    expect(types.FirstName).toBe('VARCHAR');
    expect(types.ModifiedDate).toBe('TIMESTAMP');
    const [row] = await duck<{ LastName: string; ModifiedDate: Date }>(
      `SELECT LastName, ModifiedDate FROM ${parquet()} WHERE LastName LIKE 'S%nchez'`,
    );
    expect(row?.LastName).toBe('Sánchez');
  });

  it('Product.csv in warn mode → 11 rows, only the all-empty row is reported, exit 1', async () => {
    const r = await run('product_warn');
    expect(r.code, r.stderr).toBe(1);
    const report = reportOf(r);
    expect(report.rows.written).toBe(11);
    expect(await visibleCount(out)).toBe(11);
    const rules = new Set(report.validation.counts.map((c: { rule: string }) => c.rule));
    expect([...rules]).toEqual(['missing_required']);
    // every issue is on the last (all-commas) line; 16 required fields are missing there
    const lines = new Set(report.validation.firstIssues.map((i: { line: number }) => i.line));
    expect(lines.size).toBe(1);
    // the row is also in the rejects report, published with the commit
    const rejects = (await readFile(path.join(out, '_rejects', `${report.runId}.jsonl`), 'utf8'))
      .trim()
      .split('\n');
    expect(rejects).toHaveLength(1);
    const reject = JSON.parse(rejects[0]!);
    expect(reject.line).toBe(12);
    expect(reject.reasons.map((r: { rule: string }) => r.rule)).toContain('missing_required');
    // fractional timestamps after a space parse (the original failed on them)
    const [ts] = await duck<{ t: string }>(
      `SELECT CAST(max(ModifiedDate) AS VARCHAR) AS t FROM ${parquet()}`,
    );
    expect(ts?.t).toBe('2014-02-08 10:01:36.827');
  });

  it('Product_invalid.csv in strict mode → exit 2, nothing visible, errors naming lines 4 and 6', async () => {
    const r = await run('product_invalid_strict');
    expect(r.code).toBe(2);
    expect(await visibleCount(out)).toBe(0);
    const report = reportOf(r);
    expect(report.errors[0].code).toBe('VALIDATION_FAILED');
    const issues = report.validation.firstIssues as { line: number; field: string; rule: string }[];
    expect(issues).toContainEqual(
      expect.objectContaining({ line: 4, field: 'ProductID', rule: 'missing_required' }),
    );
    expect(issues).toContainEqual(expect.objectContaining({ line: 6, rule: 'ragged' }));
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
    const left = await readdir(out).catch(() => []);
    expect(left.filter((f) => f !== '_dativo')).toEqual([]);
  });

  it('Product_malformed.csv → exit 2 with the unclosed quote line, no crash', async () => {
    const r = await run('product_malformed');
    expect(r.code).toBe(2);
    expect(r.signal).toBeNull();
    expect(r.stderr).toContain('unclosed quote opened at line 4');
    expect(r.stderr).toContain('Product_malformed.csv');
    expect(await visibleCount(out)).toBe(0);
  });

  it('listening_history.csv → DATE and BOOLEAN columns', async () => {
    const r = await run('listening_history');
    expect(r.code, r.stderr).toBe(0);
    const types = await columnTypes();
    expect(types.date).toBe('DATE');
    expect(types.premium_user).toBe('BOOLEAN');
    expect(types.hist_user_behavior_is_shuffle).toBe('BOOLEAN');
    const [row] = await duck<{ n: bigint; d: string }>(
      `SELECT count(*) AS n, CAST(min(date) AS VARCHAR) AS d FROM ${parquet()}`,
    );
    expect(Number(row?.n)).toBe(10);
    expect(row?.d).toBe('2024-01-15');
  });

  it('Employee_Complete_Dataset.csv with the mismatched employee contract (warn) → exit 1, one loud warning, capped detail', async () => {
    const r = await run('employee_dataset_warn');
    expect(r.code, r.stderr).toBe(1);
    const report = reportOf(r);
    expect(report.rows.written).toBe(5000);
    expect(report.rows.invalid).toBe(5000);
    expect(report.validation.columnMismatch.missing).toContain('employee_id');
    expect(report.validation.columnMismatch.unexpected).toContain('Employee_number');
    const warnings = r.stderr.split('\n').filter((l) => l.includes('contract_column_mismatch'));
    expect(warnings).toHaveLength(1);
    expect(report.validation.firstIssues).toHaveLength(100);
    const required = 11; // required fields of the employee contract
    expect(report.validation.issuesTotal).toBe(5000 * required);
    const total = report.validation.counts.reduce((s: number, c: { count: number }) => s + c.count, 0);
    expect(total).toBe(5000 * required);
    // the unmatched source columns follow the contract's, in the source's order
    const cols = (await duck<{ column_name: string }>(`DESCRIBE SELECT * FROM ${parquet()}`)).map(
      (c) => c.column_name,
    );
    expect(cols.slice(0, 2)).toEqual(['employee_id', 'first_name']);
    expect(cols.slice(14, 17)).toEqual(['Employee_number', 'Employee_name', 'Employee_age']);
  });

  it('UTF-16 LE, tab-delimited, headerless Employee.csv → 290 rows × 16 columns', async () => {
    const r = await run('employee_utf16');
    expect(r.code, r.stderr).toBe(0);
    const types = await columnTypes();
    expect(Object.keys(types)).toHaveLength(16);
    expect(types.BirthDate).toBe('DATE');
    expect(types.SalariedFlag).toBe('BOOLEAN');
    expect(await visibleCount(out)).toBe(290);
    const [row] = await duck<{ LoginID: string }>(
      `SELECT LoginID FROM ${parquet()} WHERE BusinessEntityID = 1`,
    );
    expect(row?.LoginID).toBe('adventure-works\\ken0');
  });
});
