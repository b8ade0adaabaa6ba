/**
 * The TypeScript writer template from an empty folder: `plugin init --lang ts --role writer` →
 * `plugin build` → `plugin test` → `dativo run` of the template's own job (its sample CSV through
 * the contract into the writer). The host publishes the writer's output at commit; DuckDB reads
 * the JSON Lines back with the contract's types and every value is compared. The componentize step
 * takes minutes on a busy machine.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-ts-writer-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('plugin init --lang ts --role writer → build → test → run', () => {
  it('the untouched template writer writes every row, published by the commit protocol', async () => {
    const work = path.join(tmp, 'empty');
    await mkdir(work);
    const env = { DATIVO_CACHE_DIR: path.join(tmp, 'cache') };
    const init = await runCli(['plugin', 'init', 'acme-out', '--lang', 'ts', '--role', 'writer'], {
      cwd: work,
      env,
    });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toContain(
      `created ts writer plugin acme-out in ${path.join(work, 'acme-out')} (6 files)`,
    );
    const dir = path.join(work, 'acme-out');

    const build = await runCli(['plugin', 'build', dir], { timeoutMs: 900_000, env });
    expect(build.code, build.stderr).toBe(0);

    const test = await runCli(['plugin', 'test', dir, '--batch-size', '400'], { timeoutMs: 600_000, env });
    expect(test.code, test.stderr).toBe(0);
    expect(test.stderr).toMatch(
      /ok acme-out \(writer\): 1000 rows in 3 batches match contract contract\.yaml; outputs: rows\.jsonl \(\d+ bytes\)/,
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
    expect(reportOf(run).rows.written).toBe(4);

    const files = (await readdir(out, { recursive: true })).filter((f) => !f.startsWith('_dativo'));
    const jsonl = files.filter((f) => f.endsWith('.jsonl'));
    expect(jsonl, files.join(', ')).toHaveLength(1);
    expect(files.some((f) => f.endsWith('.part'))).toBe(false);
    const target = path.join(out, jsonl[0]!);
    expect((await readFile(target, 'utf8')).split('\n').filter(Boolean)).toHaveLength(4);

    const back = await duck<{ id: bigint; name: string; score: number | null; active: boolean | null }>(
      `SELECT id, name, score, active FROM read_json('${target}', format = 'newline_delimited',
         columns = {id: 'BIGINT', name: 'VARCHAR', score: 'DOUBLE', active: 'BOOLEAN'}) ORDER BY id`,
    );
    expect(back.map((b) => ({ ...b, id: Number(b.id) }))).toEqual([
      { id: 1, name: 'alpha', score: 0.25, active: true },
      { id: 2, name: 'beta, with a comma', score: null, active: false },
      { id: 3, name: 'gamma', score: 7.5, active: null },
      { id: 4, name: 'delta "quoted"', score: -1, active: true },
    ]);
  }, 2_400_000);
});
