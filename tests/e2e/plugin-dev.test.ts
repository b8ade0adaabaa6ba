/**
 * The plugin author's path, from an empty folder outside the repo: `plugin init` → `plugin build`
 * → `plugin test` → `dativo run`, with the output read back by DuckDB; and the refusals on the way
 * (non-empty folder, missing toolchain, a writer without a contract).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { UNBUILT_SHA256 } from '../../host/plugin-dev/manifest-edit.js';
import { REPO, reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';

let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-plugin-dev-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('plugin init → build → test → run', () => {
  it('scaffolds a CSV reader, builds it from a copy in another folder, tests and runs it as generated', async () => {
    const work = path.join(tmp, 'empty');
    await mkdir(work);
    const init = await runCli(['plugin', 'init', '--lang', 'rust', 'acme-rows'], { cwd: work });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toContain(`created rust reader plugin acme-rows in ${path.join(work, 'acme-rows')}`);
    const scaffolded = path.join(work, 'acme-rows');
    const cargo = await readFile(path.join(scaffolded, 'Cargo.toml'), 'utf8');
    expect(cargo).toContain('name = "acme-rows"');
    expect(cargo).toMatch(/^dativo-pdk = "0\.1"$/m);
    expect(cargo).toMatch(/^\[workspace\]$/m);
    const cfg = await readFile(path.join(scaffolded, '.cargo/config.toml'), 'utf8');
    expect(cfg).toContain('build-std = ["std", "panic_abort"]');
    for (const text of [cargo, cfg]) {
      expect(text).not.toContain(REPO);
      expect(text).not.toMatch(/^\s*(target-dir|rustc|directory)\s*=/m);
    }

    // The folder is a plugin repository of its own: moved elsewhere, it still builds.
    const dir = path.join(tmp, 'elsewhere', 'acme-rows');
    await cp(scaffolded, dir, { recursive: true });
    await rm(scaffolded, { recursive: true });
    const build = await runCli(['plugin', 'build'], { cwd: dir, timeoutMs: 600_000 });
    expect(build.code, build.stderr).toBe(0);
    expect(build.stderr).toMatch(
      /built acme-rows 0\.1\.0: .*acme_rows\.wasm \(\d+ bytes, sha256 [0-9a-f]{12}…\)/,
    );
    // cargo wrote into the shared target folder, not into the plugin's.
    expect(existsSync(path.join(dir, 'target'))).toBe(false);
    const manifest = parseDocument(await readFile(path.join(dir, 'dativo-plugin.yaml'), 'utf8')).toJS();
    expect(manifest.entry.file).toBe('acme_rows.wasm');
    expect(manifest.entry.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.entry.sha256).not.toBe(UNBUILT_SHA256);

    // plugin test reads the files job.yaml lists.
    const test = await runCli(['plugin', 'test', dir, '--batch-size', '4']);
    expect(test.code, test.stderr).toBe(0);
    expect(test.stderr).toContain('batch 3: 2 rows');
    expect(test.stderr).toContain(
      'ok acme-rows (reader): 10 rows in 3 batches from sample.csv match contract contract.yaml; config generated from config_schema',
    );
    const json = await runCli(['plugin', 'test', dir, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(reportOf(json)).toMatchObject({ plugin: 'acme-rows', rows: 10, files: ['sample.csv'] });

    // The generated job, as generated: the csv recipe, data/sample.csv, into ./output.
    const out = path.join(dir, 'output');
    const state = ['--state-dir', path.join(dir, 'state'), '--json'];
    const run = await runCli(['run', '--config', 'job.yaml', ...state], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(reportOf(run).rows.written).toBe(10);
    const [a] = await duck<{
      n: bigint;
      hi: bigint;
      nulls: bigint;
      inactive: bigint;
      name: string;
      sum: number;
    }>(
      `SELECT count(*) AS n, max(id) AS hi, count(*) - count(score) AS nulls,
              count(*) FILTER (WHERE NOT active) AS inactive, max_by(name, id) AS name, sum(score) AS sum
       FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect([Number(a?.n), Number(a?.hi), Number(a?.nulls), Number(a?.inactive), a?.name, a?.sum]).toEqual([
      10,
      10,
      2,
      3,
      'Radia',
      674.5,
    ]);

    // Incremental: appended rows are emitted on the next run, the first ten are not again.
    const sample = path.join(dir, 'data/sample.csv');
    await writeFile(sample, `${await readFile(sample, 'utf8')}11,Tim,50,true\n12,Sophie,,false\n`);
    const again = await runCli(['run', '--config', 'job.yaml', ...state], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(reportOf(again).rows.written).toBe(2);
    const [b] = await duck<{ n: bigint; d: bigint; hi: bigint }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS d, max(id) AS hi FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect([Number(b?.n), Number(b?.d), Number(b?.hi)]).toEqual([12, 12, 12]);

    // A bad value: exit 2 naming file, line and column; nothing new committed.
    await writeFile(sample, `${await readFile(sample, 'utf8')}13,Alan,n/a,true\n`);
    const bad = await runCli(['run', '--config', 'job.yaml', '--state-dir', path.join(dir, 'state')], {
      cwd: dir,
    });
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain('sample.csv line 14, column score: "n/a" is not a number');
    const [c] = await duck<{ n: bigint }>(`SELECT count(*) AS n FROM read_parquet('${out}/**/*.parquet')`);
    expect(Number(c?.n)).toBe(12);
  });

  it('plugin test stops at the first batch that breaks the contract', async () => {
    const dir = path.join(tmp, 'mismatch');
    const init = await runCli(['plugin', 'init', 'mismatch', '--dir', dir]);
    expect(init.code, init.stderr).toBe(0);
    expect((await runCli(['plugin', 'build', dir], { timeoutMs: 600_000 })).code).toBe(0);
    // The contract now says score is required; the sample has no score for ids 3 and 7.
    const contract = path.join(dir, 'contract.yaml');
    await writeFile(
      contract,
      (await readFile(contract, 'utf8')).replace(
        '{ name: score, type: double }',
        '{ name: score, type: double, required: true }',
      ),
    );
    await writeFile(path.join(dir, 'test-config.yaml'), 'delimiter: ","\n');
    const r = await runCli(['plugin', 'test', dir, '--batch-size', '2']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'FAIL mismatch: batch 2, row 0: column "score" is null, but the contract says it is required',
    );
    expect(r.stderr).toContain('config test-config.yaml');
  });
});

describe('refusals', () => {
  it('plugin init never writes into a non-empty folder', async () => {
    const dir = path.join(tmp, 'taken');
    await mkdir(dir);
    await writeFile(path.join(dir, 'notes.txt'), 'mine');
    const r = await runCli(['plugin', 'init', 'taken', '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${dir} is not empty (notes.txt); plugin init never overwrites files`);
    expect(await readFile(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('plugin init refuses a name cargo and the manifest cannot both use', async () => {
    const r = await runCli(['plugin', 'init', 'Bad.Name', '--dir', path.join(tmp, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('plugin name "Bad.Name"');
  });

  it('plugin build names the Debian packages when the toolchain is missing', async () => {
    const dir = path.join(tmp, 'no-toolchain');
    expect((await runCli(['plugin', 'init', 'no-toolchain', '--dir', dir])).code).toBe(0);
    const r = await runCli(['plugin', 'build', dir], {
      env: { DATIVO_RUSTC: path.join(tmp, 'no-such-rustc') },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('TOOLCHAIN_MISSING');
    expect(r.stderr).toContain('the Rust → WebAssembly toolchain is not installed');
    expect(r.stderr).toContain(
      '  sudo apt-get update\n  sudo apt-get install -y --no-install-recommends rustc-web cargo-web rust-web-src lld',
    );
  });

  it('plugin test on a writer sends generated records and reports its outputs', async () => {
    execFileSync('bash', ['scripts/build-rust-plugins.sh', '-p', 'jsonl-writer'], {
      cwd: REPO,
      stdio: 'inherit',
    });
    const src = path.join(REPO, '.run/rust-plugins/jsonl-writer');
    const dir = path.join(tmp, 'writer');
    await cp(src, dir, { recursive: true });
    await writeFile(
      path.join(dir, 'contract.yaml'),
      'apiVersion: v3.0.2\nkind: DataContract\nid: 11111111-2222-4333-8444-555555555555\nname: things\nversion: "1.0"\nstatus: active\n' +
        'schema:\n  - { name: id, type: bigint, required: true }\n  - { name: label, type: string }\n',
    );
    const manifest = path.join(dir, 'dativo-plugin.yaml');
    const doc = parseDocument(await readFile(manifest, 'utf8'));
    doc.set('streams', [{ name: 'things', contract: 'contract.yaml' }]);
    await writeFile(manifest, doc.toString());
    const r = await runCli(['plugin', 'test', dir, '--rows', '2500']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /ok jsonl-writer \(writer\): 2500 rows in 3 batches match contract contract\.yaml; outputs: things\.jsonl \(\d+ bytes\)/,
    );
  });
});
