/** The first hour of a new user: validate reports everything at once, readable output, discover, contract init. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/cli.js';

let dir: string;
const JOB = 'examples/quickstart/job.yaml';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-first-hour-'));
  await cp(path.join(REPO, 'examples/quickstart'), path.join(dir, 'examples/quickstart'), {
    recursive: true,
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('validate', () => {
  it('reports an unknown connector (nearest name suggested), a missing input file and a missing contract at once', async () => {
    const job = (await readFile(path.join(dir, JOB), 'utf8'))
      .replace('source_connector: csv', 'source_connector: csvv')
      .replace('data/sales_orders.csv', 'data/no-such.csv')
      .replace('contracts/sales_orders.yaml', 'contracts/no-such.yaml');
    await writeFile(path.join(dir, 'examples/quickstart/bad.yaml'), job);
    const r = await runCli(['validate', '--config', 'examples/quickstart/bad.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('3 problem(s) found');
    expect(r.stderr).toMatch(
      /bad\.yaml:6:\d+, key source_connector: unknown connector "csvv" \(did you mean "csv"\?\)/,
    );
    expect(r.stderr).toMatch(/key source\.files\[0\]\.path: input file does not exist: data\/no-such\.csv/);
    expect(r.stderr).toMatch(
      /key asset_path: the file named by asset_path does not exist: contracts\/no-such\.yaml/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
  });

  it('still calls the quickstart valid', async () => {
    const r = await runCli(['validate', '--config', JOB], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('valid (csv → local');
  });
});
