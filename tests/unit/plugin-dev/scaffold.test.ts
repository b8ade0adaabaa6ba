import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pluginCargoConfig } from '../../../host/plugin-dev/cargo-config.js';
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
        '.cargo/config.toml',
      ]),
    );
    const cargo = readFileSync(path.join(dir, 'Cargo.toml'), 'utf8');
    expect(cargo).toContain('name = "my-api"');
    expect(cargo).toContain(`dativo-pdk = { path = ${JSON.stringify(pdkRustDir())} }`);
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
  it("is the workspace's, with the shared target folder made absolute", () => {
    const text = pluginCargoConfig(dativoRoot(), '/shared/target');
    expect(text).toContain('target-dir = "/shared/target"');
    expect(text).toContain('build-std = ["std", "panic_abort"]');
    expect(text).toContain('replace-with = "debian-std-vendor"');
    expect(text).toMatch(/rustflags = \["-C", "link-arg=--max-memory=\d+"\]/);
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
      /not installed \(no .*none\)\. Install it with:\n {2}sudo apt-get install -y --no-install-recommends rustc-web cargo-web rust-web-src lld/,
    );
  });
});
