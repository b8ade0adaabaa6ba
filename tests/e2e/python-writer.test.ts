/**
 * Issue #21: a writer written for the original system (a BaseWriter subclass named by
 * `target.custom_writer: file.py:Class`) runs unchanged in the Python sandbox through `dativo run`.
 * Its files under output_base are checked against what write_batch returned and published by the
 * host's commit protocol; DuckDB reads them back. A writer that raises, or leaves a file it did not
 * return, fails the run with exit 2 and publishes nothing.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';

const JOBS = 'tests/fixtures/python-plugins/jobs';
const EMPLOYEE = 'tests/fixtures/data/AdventureWorks-oltp-install-script/Employee.csv';
const SLOW = 300_000;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'python-writer-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

function run(job: string, name: string) {
  const out = path.join(tmp, name);
  const args = [
    'run',
    '--config',
    `${JOBS}/${job}.yaml`,
    '--state-dir',
    path.join(tmp, `state-${name}`),
    '--json',
  ];
  const r = runCli(args, {
    env: { OUT_DIR: out },
    timeoutMs: SLOW,
  });
  return { out, r };
}

/** Data files under a target folder (everything but the protocol's `_dativo/`). */
const published = (dir: string) => glob(['**/*', '!_dativo/**'], { cwd: dir });

/** Sum of VacationHours (column 12) of the fixture, read independently of dativo. */
function vacationHoursSum(): number {
  const text = readFileSync(path.join(REPO, EMPLOYEE))
    .toString('utf16le')
    .replace(/^\uFEFF/, '');
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .reduce((n, l) => n + Number(l.split('\t')[11]), 0);
}

describe('an original custom_writer (BaseWriter subclass) in the Python sandbox', () => {
  it(
    'a JSON Lines writer: 290 rows and 290 ids read back by DuckDB, commit_files after the publish',
    async () => {
      const { out, r: pending } = run('employee_jsonl_writer', 'jsonl');
      const r = await pending;
      expect(r.code, r.stderr).toBe(0);
      expect(reportOf(r).rows).toEqual({ read: 290, written: 290, invalid: 0 });
      const files = await published(out);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^hr\/adventureworks\/hr_employee\/part-00000-r\d{8}T\d+-[0-9a-f]{6}\.jsonl$/);
      const [row] = await duck<{ n: bigint; ids: bigint; ceo: string }>(
        `SELECT count(*) AS n, count(DISTINCT BusinessEntityID) AS ids,
              max(CASE WHEN BusinessEntityID = 1 THEN JobTitle END) AS ceo
         FROM read_json('${out}/${files[0]}', format = 'newline_delimited')`,
      );
      expect(Number(row?.n)).toBe(290);
      expect(Number(row?.ids)).toBe(290);
      expect(row?.ceo).toBe('Chief Executive Officer');
      // commit_files ran (its log line and its result), after the commit record was written.
      expect(r.stderr).toContain('jsonl_writer: commit_files: 1 files, 290 records');
      expect(r.stderr).toContain('commit_files returned');
      const records = await glob('_dativo/commits/*.json', { cwd: out });
      expect(records).toHaveLength(1);
      const record = JSON.parse(await readFile(path.join(out, records[0] as string), 'utf8'));
      expect(record).toMatchObject({ status: 'done', rows: 290 });
    },
    SLOW + 20_000,
  );

  it(
    'a CSV writer into a sub-folder: 290 rows, the VacationHours sum; its failing upload only warns',
    async () => {
      const { out, r: pending } = run('employee_csv_writer', 'csv');
      const r = await pending;
      expect(r.code, r.stderr).toBe(0);
      // Two files of one batch (the data and its manifest), both published under csv/.
      const files = (await published(out)).sort();
      expect(files).toHaveLength(2);
      expect(files[0]).toMatch(/^hr\/adventureworks\/hr_employee\/csv\/employees_0-r[^/]+\.csv$/);
      expect(files[1]).toMatch(/^hr\/adventureworks\/hr_employee\/csv\/employees_0\.manifest-r[^/]+\.json$/);
      const manifest = JSON.parse(await readFile(path.join(out, files[1] as string), 'utf8'));
      expect(manifest).toEqual({ file: 'employees_0.csv', records: 290 });
      const [row] = await duck<{ n: bigint; hours: bigint }>(
        `SELECT count(*) AS n, sum(VacationHours) AS hours FROM read_csv('${out}/${files[0]}', header = true)`,
      );
      expect(Number(row?.n)).toBe(290);
      expect(Number(row?.hours)).toBe(vacationHoursSum());
      // Its commit_files tries to upload over the network, which the sandbox does not have: the
      // data is already committed, so the run succeeds with a warning naming the plugin's line.
      expect(r.stderr).toContain('commit_files failed after the outputs were published');
      expect(r.stderr).toMatch(/commit failed: URLError: .* \(at csv_writer\.py:31\)/);
    },
    SLOW + 20_000,
  );

  it(
    'a writer that raises: exit 2 naming file.py:line, nothing published',
    async () => {
      const { out, r: pending } = run('employee_raising_writer', 'raising');
      const r = await pending;
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        '[PLUGIN_ERROR] plugin raising_writer: write failed: ValueError: cannot write 290 records (at raising_writer.py:6)',
      );
      expect(r.stderr).not.toMatch(/Traceback|\n\s+at /);
      expect(await published(out).catch(() => [])).toEqual([]);
      expect(await glob('_dativo/commits/*', { cwd: out }).catch(() => [])).toEqual([]);
    },
    SLOW + 20_000,
  );

  it(
    'a file write_batch did not return: exit 2 naming its /dativo/output path, nothing published',
    async () => {
      const { out, r: pending } = run('employee_undeclared_writer', 'undeclared');
      const r = await pending;
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        '[PLUGIN_BAD_OUTPUT] plugin undeclared_writer: /dativo/output/scratch.tmp was written but not returned by write_batch',
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(await published(out).catch(() => [])).toEqual([]);
      expect(await glob('_dativo/commits/*', { cwd: out }).catch(() => [])).toEqual([]);
    },
    SLOW + 20_000,
  );

  it('an Iceberg target is refused at validate: exit 2 at target.custom_writer', async () => {
    const job = (await readFile(path.join(REPO, JOBS, 'employee_jsonl_writer.yaml'), 'utf8'))
      .replace('target_connector: local', 'target_connector: iceberg')
      .replace('connectors/local.yaml', 'connectors/iceberg.yaml')
      .replaceAll('tests/fixtures/', path.join(REPO, 'tests/fixtures/'));
    const file = path.join(tmp, 'iceberg_writer.yaml');
    await writeFile(file, job);
    const r = await runCli(['validate', '--config', file], { env: { OUT_DIR: path.join(tmp, 'ice') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/iceberg_writer\.yaml:\d+:\d+, key target\.custom_writer/);
    expect(r.stderr).toContain(
      'a Python custom_writer writes files, and target "iceberg" is not a file target',
    );
    expect(r.stdout).not.toContain('valid (');
  });
});
