/**
 * A TypeScript plugin from an empty folder: `plugin init --lang ts` → `plugin build` (bundle,
 * componentize) → `plugin test` → `dativo run`, with the Parquet read back by DuckDB with the
 * contract's types. The componentize step takes minutes on a busy machine.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { UNBUILT_SHA256 } from '../../host/plugin-dev/manifest-edit.js';
import { reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-ts-plugin-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('plugin init --lang ts → build → test → run', () => {
  it('scaffolds, builds, tests and runs the TypeScript template reader', async () => {
    const work = path.join(tmp, 'empty');
    await mkdir(work);
    const env = { DATIVO_CACHE_DIR: path.join(tmp, 'cache') };
    const init = await runCli(['plugin', 'init', 'acme-ts', '--lang', 'ts'], { cwd: work, env });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toContain(
      `created ts reader plugin acme-ts in ${path.join(work, 'acme-ts')} (5 files)`,
    );
    const dir = path.join(work, 'acme-ts');

    const build = await runCli(['plugin', 'build', dir], { timeoutMs: 900_000, env });
    expect(build.code, build.stderr).toBe(0);
    const manifest = parseDocument(await readFile(path.join(dir, 'dativo-plugin.yaml'), 'utf8')).toJS();
    expect(manifest).toMatchObject({
      name: 'acme-ts',
      runtime: 'component',
      entry: { file: 'acme-ts.wasm' },
    });
    expect(manifest.entry.sha256).not.toBe(UNBUILT_SHA256);

    const test = await runCli(['plugin', 'test', dir, '--batch-size', '400'], { timeoutMs: 600_000, env });
    expect(test.code, test.stderr).toBe(0);
    expect(test.stderr).toContain(
      'ok acme-ts (reader): 1000 rows in 3 batches match contract contract.yaml; config generated from config_schema',
    );

    const out = path.join(dir, 'output');
    const run = await runCli(
      ['run', '--config', 'job.yaml', '--state-dir', path.join(dir, 'state'), '--json'],
      {
        cwd: dir,
        timeoutMs: 600_000,
        env,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(reportOf(run).rows.written).toBe(5000);
    const types = await duck<{ column_name: string; column_type: string }>(
      `DESCRIBE SELECT id, name, score, active FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect(types.map((t) => `${t.column_name}:${t.column_type}`)).toEqual([
      'id:BIGINT',
      'name:VARCHAR',
      'score:DOUBLE',
      'active:BOOLEAN',
    ]);
    const [a] = await duck<{ n: bigint; hi: bigint; nulls: bigint; name: string }>(
      `SELECT count(*) AS n, max(id) AS hi, count(*) - count(score) AS nulls, max_by(name, id) AS name
       FROM read_parquet('${out}/**/*.parquet')`,
    );
    // score is null for every 7th id: 714 of 5000.
    expect([Number(a?.n), Number(a?.hi), Number(a?.nulls), a?.name]).toEqual([5000, 5000, 714, 'row-5000']);
  }, 2_400_000);
});
