import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTimeCargo, pluginCargoConfig } from '../../../host/plugin-dev/cargo-config.js';
import { testFilesFor } from '../../../host/plugin-dev/harness.js';
import { setManifestEntry, UNBUILT_SHA256 } from '../../../host/plugin-dev/manifest-edit.js';
import { dativoRoot, pdkRustDir } from '../../../host/plugin-dev/paths.js';
import { initPlugin } from '../../../host/plugin-dev/scaffold.js';
import { findRustToolchain } from '../../../host/plugin-dev/toolchain.js';
import { loadPluginManifest } from '../../../host/plugins/manifest.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dativo-scaffold-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('plugin init', () => {
  it('copies the template under the new name, as its own cargo workspace against this PDK', () => {
    const dir = path.join(tmp, 'one');
    const res = initPlugin({ name: 'my-api', dir });
    expect(res.dir).toBe(dir);
    expect(res.files).toEqual(
      expect.arrayContaining([
        'Cargo.toml',
        'src/lib.rs',
        'dativo-plugin.yaml',
        'contract.yaml',
        'job.yaml',
        'data/sample.csv',
        '.cargo/config.toml',
      ]),
    );
    const cargo = readFileSync(path.join(dir, 'Cargo.toml'), 'utf8');
    expect(cargo).toContain('name = "my-api"');
    // By version: `plugin build` supplies the path, so the folder can move.
    expect(cargo).toMatch(/^dativo-pdk = "0\.1"$/m);
    // No path of this machine in what a plugin repository commits.
    for (const rel of ['Cargo.toml', '.cargo/config.toml', 'job.yaml', 'dativo-plugin.yaml']) {
      const text = readFileSync(path.join(dir, rel), 'utf8');
      expect(text, rel).not.toContain(dativoRoot());
      expect(text, rel).not.toMatch(/(^|[\s"'=])\/(usr|work|home|tmp|root)\//m);
    }
    expect(cargo).toMatch(/^\[workspace\]$/m);
    expect(cargo).toMatch(/^\[profile\.release\]$/m);
    expect(cargo).not.toContain('rust-reader-template');
    const loaded = loadPluginManifest(dir, 'reader');
    expect(loaded.manifest).toMatchObject({
      name: 'my-api',
      role: 'reader',
      entry: { file: 'my_api.wasm', sha256: UNBUILT_SHA256 },
      streams: [{ name: 'rows', contract: 'contract.yaml' }],
    });
    // The manifest keeps its comments after the edit.
    expect(readFileSync(path.join(dir, 'dativo-plugin.yaml'), 'utf8')).toContain("# The plugin's manifest");
    expect(readFileSync(path.join(dir, 'contract.yaml'), 'utf8')).toContain('name: my_api_rows');
  });

  it('--lang ts --role writer: the writer template under the new name, its manifest a writer', () => {
    const dir = path.join(tmp, 'ts-writer');
    const res = initPlugin({ name: 'acme-out', lang: 'ts', role: 'writer', dir });
    expect(res.files).toEqual([
      'README.md',
      'contract.yaml',
      'dativo-plugin.yaml',
      'job.yaml',
      'sample.csv',
      'src/plugin.ts',
    ]);
    const loaded = loadPluginManifest(dir, 'writer');
    expect(loaded.manifest).toMatchObject({
      name: 'acme-out',
      role: 'writer',
      runtime: 'component',
      entry: { file: 'acme-out.wasm', sha256: UNBUILT_SHA256 },
    });
    for (const f of res.files) {
      expect(readFileSync(path.join(dir, f), 'utf8'), f).not.toMatch(/ts[-_]writer[-_]template/);
    }
    expect(readFileSync(path.join(dir, 'contract.yaml'), 'utf8')).toContain('name: acme_out_rows');
    expect(readFileSync(path.join(dir, 'src/plugin.ts'), 'utf8')).toContain('writer({');
  });

  it('--lang python: plugin.py and a runtime: python manifest naming its file and class', () => {
    const dir = path.join(tmp, 'py-reader');
    const res = initPlugin({ name: 'acme-py', lang: 'python', dir });
    expect(res.files).toEqual(['README.md', 'contract.yaml', 'dativo-plugin.yaml', 'job.yaml', 'plugin.py']);
    const loaded = loadPluginManifest(dir, 'reader');
    expect(loaded.manifest).toMatchObject({
      name: 'acme-py',
      role: 'reader',
      runtime: 'python',
      entry: { file: 'plugin.py', class: 'RowsReader', sha256: UNBUILT_SHA256 },
      streams: [{ name: 'rows', contract: 'contract.yaml' }],
    });
    for (const f of res.files) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      expect(text, f).not.toMatch(/python[-_]reader[-_]template/);
      expect(text, f).not.toContain(dativoRoot());
    }
    expect(readFileSync(path.join(dir, 'contract.yaml'), 'utf8')).toContain('name: acme_py_rows');
    expect(readFileSync(path.join(dir, 'job.yaml'), 'utf8')).toContain('path: plugin.py:RowsReader');
    expect(() =>
      initPlugin({ name: 'x', lang: 'python', role: 'writer', dir: path.join(tmp, 'pw') }),
    ).toThrow('--role writer: the python templates are reader only');
  });

  it('refuses a role the language has no template for, writing nothing', () => {
    const dir = path.join(tmp, 'rust-writer');
    expect(() => initPlugin({ name: 'x', lang: 'rust', role: 'writer', dir })).toThrow(
      '--role writer: the rust templates are reader only',
    );
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a non-empty folder and leaves it untouched', () => {
    const dir = path.join(tmp, 'taken');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'a.txt'), 'x');
    expect(() => initPlugin({ name: 'x', dir })).toThrow(
      /is not empty \(a\.txt\); plugin init never overwrites files/,
    );
    expect(existsSync(path.join(dir, 'Cargo.toml'))).toBe(false);
  });

  it('accepts an existing empty folder; refuses names cargo cannot use', () => {
    const dir = path.join(tmp, 'empty');
    mkdirSync(dir);
    expect(initPlugin({ name: 'ok_name', dir }).files.length).toBeGreaterThan(5);
    expect(() => initPlugin({ name: 'Bad.Name', dir: path.join(tmp, 'b') })).toThrow(
      /plugin name "Bad.Name"/,
    );
    expect(() => initPlugin({ name: '1abc', dir: path.join(tmp, 'c') })).toThrow(/starting with a letter/);
  });
});

describe('the cargo config of a scaffolded plugin', () => {
  it("is the workspace's portable half: no target folder, compiler or source paths", () => {
    const text = pluginCargoConfig(dativoRoot());
    expect(text).toContain('build-std = ["std", "panic_abort"]');
    expect(text).toContain('target = "wasm32-unknown-unknown"');
    expect(text).toMatch(/rustflags = \["-C", "link-arg=--max-memory=\d+"\]/);
    expect(text).toMatch(/^offline = true$/m);
    expect(text).not.toMatch(/^\s*(target-dir|rustc|directory|replace-with)\s*=/m);
    expect(text).not.toContain('[source.');
  });

  it('gets the machine-dependent half from plugin build: vendor source, PDK patch, shared target', () => {
    const prev = process.env.DATIVO_RUST_TARGET_DIR;
    process.env.DATIVO_RUST_TARGET_DIR = path.join(tmp, 'shared-target');
    try {
      const cargo = buildTimeCargo('/opt/rust/vendor', dativoRoot());
      expect(cargo.targetDir).toBe(path.join(tmp, 'shared-target'));
      expect(cargo.args).toEqual([
        '--config',
        'source.crates-io.replace-with="debian-std-vendor"',
        '--config',
        'source.debian-std-vendor.directory="/opt/rust/vendor"',
        '--config',
        `patch.crates-io.dativo-pdk.path=${JSON.stringify(pdkRustDir())}`,
      ]);
    } finally {
      if (prev === undefined) delete process.env.DATIVO_RUST_TARGET_DIR;
      else process.env.DATIVO_RUST_TARGET_DIR = prev;
    }
  });
});

describe('plugin test input files', () => {
  it("are the given ones, else job.yaml's source.files, resolved against the plugin folder", () => {
    const dir = path.join(tmp, 'files');
    initPlugin({ name: 'files-reader', dir });
    expect(testFilesFor(dir)).toEqual([path.join(dir, 'data/sample.csv')]);
    expect(testFilesFor(dir, ['x.csv'])).toEqual([path.resolve('x.csv')]);
    expect(testFilesFor(path.join(tmp, 'no-such-folder'))).toEqual([]);
  });
});

describe('manifest edits', () => {
  it('set the entry and keep comments; an invalid digest is refused before writing', () => {
    const file = path.join(tmp, 'm.yaml');
    const original =
      '# keep me\nname: p\nversion: 1.0.0\nrole: reader\nruntime: extism\nabi: "1.0"\nentry:\n  file: p.wasm # the module\n  sha256: "' +
      '0'.repeat(64) +
      '"\n';
    writeFileSync(file, original);
    setManifestEntry(file, { sha256: 'ab'.repeat(32) });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# keep me');
    expect(text).toContain('# the module');
    expect(text).toContain(`sha256: "${'ab'.repeat(32)}"`);
    expect(() => setManifestEntry(file, { sha256: 'nope' })).toThrow(/entry\.sha256: 64 hex digits/);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});

describe('the toolchain check', () => {
  it('names the Debian packages to install', () => {
    expect(() => findRustToolchain({ DATIVO_RUSTC: path.join(tmp, 'none') })).toThrow(
      /not installed \(no .*none\)\. Install it with:\n {2}sudo apt-get update\n {2}sudo apt-get install -y --no-install-recommends rustc-web cargo-web rust-web-src lld/,
    );
  });
});
