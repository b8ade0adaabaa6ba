/** The first hour of a new user: validate reports everything at once, readable output, discover, contract init. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';

let dir: string;
const JOB = 'examples/quickstart/job.yaml';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-first-hour-'));
  await cp(path.join(REPO, 'examples/quickstart'), path.join(dir, 'examples/quickstart'), {
    recursive: true,
  });
  // The quickstart's contract lives under assets/ (its asset_path is relative to the job file).
  await cp(path.join(REPO, 'assets/quickstart'), path.join(dir, 'assets/quickstart'), { recursive: true });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('validate', () => {
  it('reports an unknown connector (nearest name suggested), a missing input file and a missing contract at once', async () => {
    const job = (await readFile(path.join(dir, JOB), 'utf8'))
      .replace('source_connector: csv', 'source_connector: csvv')
      .replace('data/sales_orders.csv', 'data/no-such.csv')
      .replace('quickstart/sales_orders.yaml', 'quickstart/no-such.yaml');
    await writeFile(path.join(dir, 'examples/quickstart/bad.yaml'), job);
    const r = await runCli(['validate', '--config', 'examples/quickstart/bad.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('3 problem(s) found');
    expect(r.stderr).toMatch(
      /bad\.yaml:6:\d+, key source_connector: unknown connector "csvv" \(did you mean "csv"\?\)/,
    );
    expect(r.stderr).toMatch(/key source\.files\[0\]\.path: input file does not exist: data\/no-such\.csv/);
    expect(r.stderr).toMatch(
      /key asset_path: the file named by asset_path does not exist: \.\.\/\.\.\/assets\/quickstart\/no-such\.yaml/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
  });

  it('still calls the quickstart valid', async () => {
    const r = await runCli(['validate', '--config', JOB], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('valid (csv → local');
  });
});

describe('readable output', () => {
  const bad = async (name: string, edit: (csv: string) => string, mode: 'strict' | 'warn') => {
    // Beside the quickstart, so its asset_path (../../assets/quickstart/...) still resolves.
    const folder = path.join(dir, 'examples', name);
    await cp(path.join(dir, 'examples/quickstart'), folder, { recursive: true });
    const csvFile = path.join(folder, 'data/sales_orders.csv');
    await writeFile(csvFile, edit(await readFile(csvFile, 'utf8')));
    const job = (await readFile(path.join(folder, 'job.yaml'), 'utf8'))
      .replace('output/quickstart', `output/${name}`)
      .replace('schema_validation_mode: strict', `schema_validation_mode: ${mode}`);
    await writeFile(path.join(folder, 'job.yaml'), job);
    return path.join('examples', name, 'job.yaml');
  };

  it('a strict error shows the offending value, masked for a pci field', async () => {
    const job = await bad(
      'strict',
      (c) => c.replace(',SO43659,', ',XX43659,').replace(',16281,', ',abc,'),
      'strict',
    );
    const r = await runCli(['run', '--config', job], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 2, field SalesOrderNumber: .*\(value "XX43659"\)/);
    expect(r.stderr).toMatch(/line 2, field CreditCardID: .*\(value "\*\*\*"\)/);
    expect(r.stderr).not.toContain('abc');
  });

  it('a warn-mode summary names the rejects file and the top problems', async () => {
    const job = await bad('warn', (c) => c.replace(',SO43659,', ',XX43659,'), 'warn');
    const r = await runCli(['run', '--config', job], { cwd: dir });
    expect(r.code).toBe(1);
    const m = /rejected rows: (\S+\.jsonl)/.exec(r.stderr);
    expect(m?.[1]).toContain(path.join(dir, 'output/warn/_rejects/'));
    expect((await readFile(m?.[1] as string, 'utf8')).trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/top problems: SalesOrderNumber pattern ×1/);
  });

  it('without a terminal: JSON lines and a progress line; --log-format pretty: short lines; --quiet: silence', async () => {
    const fresh = await bad('logs', (c) => c, 'strict');
    const json = await runCli(['run', '--config', fresh, '--full-refresh'], {
      cwd: dir,
      env: { DATIVO_PROGRESS_INTERVAL_SECONDS: '0' },
    });
    expect(json.code).toBe(0);
    const lines = json.stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(2);
    const progress = lines.map((l) => JSON.parse(l)).find((l) => l.event_type === 'progress');
    expect(progress).toMatchObject({
      rows: 10,
      message: expect.stringMatching(/^progress: 10 rows, \d+ rows\/s$/),
    });

    const pretty = await runCli(['run', '--config', fresh, '--full-refresh', '--log-format', 'pretty'], {
      cwd: dir,
    });
    expect(pretty.code).toBe(0);
    expect(pretty.stderr).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: job started/m);
    expect(pretty.stderr).not.toContain('{"level"');

    const quiet = await runCli(['run', '--config', fresh, '--full-refresh', '--quiet'], { cwd: dir });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });
});

describe('discover and contract init', () => {
  it('discover lists the columns with inferred types', async () => {
    const r = await runCli(['discover', '--config', JOB], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('file\tsales_orders (25 columns)');
    expect(r.stderr).toMatch(/^ {2}SalesOrderID +integer$/m);
    expect(r.stderr).toMatch(/^ {2}OrderDate +timestamp$/m);
    expect(r.stderr).toMatch(/^ {2}SubTotal +number$/m);
    expect(r.stderr).toMatch(/^ {2}Comment +string$/m);
  });

  it('contract init --from data.csv writes an ODCS v3.0.2 contract a job runs with', async () => {
    const own = path.join(dir, 'own');
    await cp(path.join(dir, 'examples/quickstart/data/sales_orders.csv'), path.join(own, 'orders.csv'));
    const init = await runCli(['contract', 'init', '--from', 'own/orders.csv', '--out', 'own/orders.yaml'], {
      cwd: dir,
    });
    expect(init.code).toBe(0);
    const contract = parse(await readFile(path.join(own, 'orders.yaml'), 'utf8'));
    expect(contract).toMatchObject({ apiVersion: 'v3.0.2', kind: 'DataContract', name: 'orders' });
    expect(contract.schema[0].properties).toHaveLength(25);
    expect(contract.schema[0].properties[0]).toEqual({
      name: 'SalesOrderID',
      logicalType: 'integer',
      required: true,
    });
    expect(contract.schema[0].properties.find((p: { name: string }) => p.name === 'Comment')).toEqual({
      name: 'Comment',
      logicalType: 'string',
    });
    const again = await runCli(['contract', 'init', '--from', 'own/orders.csv', '--out', 'own/orders.yaml'], {
      cwd: dir,
    });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('add --force');

    await writeFile(
      path.join(own, 'job.yaml'),
      'tenant_id: own\nsource_connector: csv\nsource_connector_path: connectors/csv.yaml\n' +
        'target_connector: local\ntarget_connector_path: connectors/local.yaml\nasset_path: own/orders.yaml\n' +
        'source:\n  files:\n    - path: own/orders.csv\n      object: orders\ntarget:\n  connection:\n    path: output/own\n',
    );
    const run = await runCli(['run', '--config', 'own/job.yaml'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const rows = await duck<{ n: bigint; t: string }>(
      `SELECT count(*) AS n, any_value(typeof(SalesOrderID)) AS t FROM read_parquet('${dir}/output/own/**/*.parquet')`,
    );
    expect(rows[0]).toEqual({ n: 10n, t: 'BIGINT' });
  });
});

describe('plugin authoring', () => {
  it('plugin init hints the launcher; plugin test before build names the missing entry once, with a hint', async () => {
    const init = await runCli(['plugin', 'init', '--lang', 'rust', 'my-reader'], { cwd: dir });
    expect(init.code).toBe(0);
    const launcher = path.join(REPO, 'dativo');
    expect(init.stderr).toContain(
      `next: ${launcher} plugin build my-reader && ${launcher} plugin test my-reader`,
    );
    expect(init.stderr).not.toContain('npx');
    const test = await runCli(['plugin', 'test', 'my-reader'], { cwd: dir });
    expect(test.code).toBe(2);
    expect(test.stderr).toMatch(
      /plugin my-reader: entry file \S+my_reader\.wasm does not exist: build the plugin first/,
    );
    expect(test.stderr.match(/plugin my-reader/g)).toHaveLength(1);
  });
});
