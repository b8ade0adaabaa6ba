/**
 * Issue #21: a Python plugin from an empty folder: `plugin init --lang python` → `plugin build`
 * (compile check, sha256) → `plugin validate` → `plugin test` (in the sandbox, batches against the
 * contract) → `dativo run` of the scaffold's job, with the Parquet read back by DuckDB with the
 * contract's types. Then the three ways `plugin test` fails (exit 2, the message naming the cause):
 * a reader that raises, a string id against the contract's bigint, a call to an ungranted host.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { UNBUILT_SHA256 } from '../../host/plugin-dev/manifest-edit.js';
import { reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';

const SLOW = { timeoutMs: 300_000 };
let tmp: string;
let work: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-python-pdk-'));
  work = path.join(tmp, 'work');
  await mkdir(work);
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** A fresh scaffold named `name` whose plugin.py has `from` replaced by `to`, built. */
async function variant(name: string, from: string, to: string): Promise<string> {
  const init = await runCli(['plugin', 'init', name, '--lang', 'python'], { cwd: work });
  expect(init.code, init.stderr).toBe(0);
  const dir = path.join(work, name);
  const file = path.join(dir, 'plugin.py');
  const text = await readFile(file, 'utf8');
  expect(text).toContain(from);
  await writeFile(file, text.replace(from, to));
  const build = await runCli(['plugin', 'build', dir], SLOW);
  expect(build.code, build.stderr).toBe(0);
  return dir;
}

const LOOP = '        for lo in range(0, total, BATCH):\n';

describe('plugin init --lang python → build → validate → test → run', () => {
  it('scaffolds, builds, validates, tests and runs the Python template reader', async () => {
    const init = await runCli(['plugin', 'init', 'acme-py', '--lang', 'python'], { cwd: work });
    expect(init.code, init.stderr).toBe(0);
    const dir = path.join(work, 'acme-py');
    expect(init.stderr).toContain(`created python reader plugin acme-py in ${dir} (5 files)`);

    const build = await runCli(['plugin', 'build', dir], SLOW);
    expect(build.code, build.stderr).toBe(0);
    const manifest = parseDocument(await readFile(path.join(dir, 'dativo-plugin.yaml'), 'utf8')).toJS();
    expect(manifest).toMatchObject({
      name: 'acme-py',
      runtime: 'python',
      entry: { file: 'plugin.py', class: 'RowsReader' },
    });
    expect(manifest.entry.sha256).not.toBe(UNBUILT_SHA256);

    const validate = await runCli(['plugin', 'validate', dir], SLOW);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stderr).toContain(
      'ok acme-py (reader, runtime python, abi 1.1): exports plugin.py:RowsReader; contracts contract.yaml',
    );

    const test = await runCli(['plugin', 'test', dir], SLOW);
    expect(test.code, test.stderr).toBe(0);
    expect(test.stderr).toContain(
      'ok acme-py (reader): 1000 rows in 1 batches match contract contract.yaml; config generated from config_schema',
    );

    const out = path.join(dir, 'output');
    const run = await runCli(
      ['run', '--config', 'job.yaml', '--state-dir', path.join(dir, 'state'), '--json'],
      {
        cwd: dir,
        ...SLOW,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(reportOf(run).rows).toEqual({ read: 5000, written: 5000, invalid: 0 });
    const types = await duck<{ column_name: string; column_type: string }>(
      `DESCRIBE SELECT id, name, score, active FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect(types.map((t) => `${t.column_name}:${t.column_type}`)).toEqual([
      'id:BIGINT',
      'name:VARCHAR',
      'score:DOUBLE',
      'active:BOOLEAN',
    ]);
    const [a] = await duck<{ n: bigint; ids: bigint; hi: bigint; nulls: bigint; name: string }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS ids, max(id) AS hi, count(*) - count(score) AS nulls,
              max_by(name, id) AS name
       FROM read_parquet('${out}/**/*.parquet')`,
    );
    // score is null for every 7th id: 714 of 5000.
    expect([Number(a?.n), Number(a?.ids), Number(a?.hi), Number(a?.nulls), a?.name]).toEqual([
      5000,
      5000,
      5000,
      714,
      'row-5000',
    ]);
  }, 1_200_000);

  it('plugin test exits 2 naming file:line when the reader raises', async () => {
    const dir = await variant('py-raises', LOOP, `${LOOP}            raise ValueError("the API said no")\n`);
    const r = await runCli(['plugin', 'test', dir], SLOW);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'error [PLUGIN_ERROR]: plugin py-raises: next failed: ValueError: the API said no (at plugin.py:17)',
    );
    expect(r.stderr).not.toMatch(/^\s+at /m);
  }, 900_000);

  it("plugin test exits 2 on a string id against the contract's bigint", async () => {
    const dir = await variant('py-strid', '{"id": i,', '{"id": str(i),');
    const r = await runCli(['plugin', 'test', dir], SLOW);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `FAIL py-strid: batch 1: column "id" is Utf8, the contract's bigint needs Int64`,
    );
  }, 900_000);

  it('plugin test exits 2 when the reader calls a host its manifest does not request', async () => {
    const call = '        pdk.request({"method": "GET", "url": "http://example.com/items"})\n';
    const dir = await variant('py-host', LOOP, `${call}${LOOP}`);
    const r = await runCli(['plugin', 'test', dir], SLOW);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'plugin py-host: next failed: PluginError: PLUGIN_DENIED: plugin py-host: network access to example.com:80 denied (capability network, resource example.com:80); granted hosts: none (at plugin.py:',
    );
  }, 900_000);
});
