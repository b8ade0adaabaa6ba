/**
 * The plugin author's path, from an empty folder outside the repo: `plugin init` → `plugin build`
 * → `plugin test` → `dativo run`, with the output read back by DuckDB; and the refusals on the way
 * (non-empty folder, missing toolchain, a writer without a contract).
 */
import { execFileSync } from 'node:child_process';
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
  it('scaffolds, builds, tests and runs a Rust reader from an empty folder', async () => {
    const work = path.join(tmp, 'empty');
    await mkdir(work);
    const init = await runCli(['plugin', 'init', '--lang', 'rust', 'acme-rows'], { cwd: work });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toContain(`created rust reader plugin acme-rows in ${path.join(work, 'acme-rows')}`);
    const dir = path.join(work, 'acme-rows');
    const cargo = await readFile(path.join(dir, 'Cargo.toml'), 'utf8');
    expect(cargo).toContain('name = "acme-rows"');
    expect(cargo).toContain(`dativo-pdk = { path = ${JSON.stringify(path.join(REPO, 'plugin-pdk/rust'))} }`);
    expect(cargo).toMatch(/^\[workspace\]$/m);
    const cfg = await readFile(path.join(dir, '.cargo/config.toml'), 'utf8');
    expect(cfg).toContain('build-std = ["std", "panic_abort"]');
    expect(cfg).toMatch(/^target-dir = "\/.+"$/m);

    const build = await runCli(['plugin', 'build'], { cwd: dir, timeoutMs: 600_000 });
    expect(build.code, build.stderr).toBe(0);
    expect(build.stderr).toMatch(
      /built acme-rows 0\.1\.0: .*acme_rows\.wasm \(\d+ bytes, sha256 [0-9a-f]{12}…\)/,
    );
    const manifest = parseDocument(await readFile(path.join(dir, 'dativo-plugin.yaml'), 'utf8')).toJS();
    expect(manifest.entry.file).toBe('acme_rows.wasm');
    expect(manifest.entry.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.entry.sha256).not.toBe(UNBUILT_SHA256);

    const test = await runCli(['plugin', 'test', dir, '--batch-size', '400']);
    expect(test.code, test.stderr).toBe(0);
    expect(test.stderr).toContain('batch 3: 200 rows');
    expect(test.stderr).toContain(
      'ok acme-rows (reader): 1000 rows in 3 batches match contract contract.yaml; config generated from config_schema',
    );

    const json = await runCli(['plugin', 'test', dir, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(reportOf(json)).toMatchObject({
      plugin: 'acme-rows',
      rows: 1000,
      config: { rows: 1000, prefix: 'row' },
    });

    const out = path.join(dir, 'output');
    const run = await runCli(
      ['run', '--config', 'job.yaml', '--state-dir', path.join(dir, 'state'), '--json'],
      {
        cwd: dir,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(reportOf(run).rows.written).toBe(5000);
    const [a] = await duck<{ n: bigint; hi: bigint; nulls: bigint; name: string }>(
      `SELECT count(*) AS n, max(id) AS hi, count(*) - count(score) AS nulls, max_by(name, id) AS name
       FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect([Number(a?.n), Number(a?.hi), Number(a?.nulls), a?.name]).toEqual([5000, 5000, 500, 'row-5000']);

    // The template keeps its place in state: a second run continues after id 5000.
    const again = await runCli(
      ['run', '--config', 'job.yaml', '--state-dir', path.join(dir, 'state'), '--json'],
      {
        cwd: dir,
      },
    );
    expect(again.code, again.stderr).toBe(0);
    const [b] = await duck<{ n: bigint; d: bigint; hi: bigint }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS d, max(id) AS hi FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect([Number(b?.n), Number(b?.d), Number(b?.hi)]).toEqual([10000, 10000, 10000]);
  });

  it('plugin test stops at the first batch that breaks the contract', async () => {
    const dir = path.join(tmp, 'mismatch');
    const init = await runCli(['plugin', 'init', 'mismatch', '--dir', dir]);
    expect(init.code, init.stderr).toBe(0);
    expect((await runCli(['plugin', 'build', dir], { timeoutMs: 600_000 })).code).toBe(0);
    // The contract now says score is required; the plugin emits a null in every 10th row.
    const contract = path.join(dir, 'contract.yaml');
    await writeFile(
      contract,
      (await readFile(contract, 'utf8')).replace(
        '{ name: score, type: double }',
        '{ name: score, type: double, required: true }',
      ),
    );
    await writeFile(path.join(dir, 'test-config.yaml'), 'rows: 50\n');
    const r = await runCli(['plugin', 'test', dir, '--batch-size', '25']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'FAIL mismatch: batch 1, row 9: column "score" is null, but the contract says it is required',
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
      'sudo apt-get install -y --no-install-recommends rustc-web cargo-web rust-web-src lld',
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
