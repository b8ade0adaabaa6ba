import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assemble,
  assertSafeFileName,
  layerFiles,
  MEDIA,
  packDir,
  TITLE,
} from '../../../host/marketplace/artifact.js';
import { sha256Digest } from '../../../host/marketplace/oci-client.js';

function plugin(dir: string, version = '1.2.3'): void {
  const wasm = Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]);
  writeFileSync(path.join(dir, 'p.wasm'), wasm);
  writeFileSync(
    path.join(dir, 'dativo-plugin.yaml'),
    `name: p\nversion: ${version}\nrole: reader\nruntime: extism\nabi: "1.0"\nentry: { file: p.wasm, sha256: ${sha256Digest(wasm).slice(7)} }\n`,
  );
}

describe('plugin artifact', () => {
  it('packs reproducibly: one layer per file with its media type, the config its own media type', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dativo-pack-'));
    plugin(dir);
    const a = packDir(dir);
    const m = JSON.parse(a.manifestBytes.toString());
    expect(m.config.mediaType).toBe(MEDIA.config);
    expect(
      m.layers.map((l: { mediaType: string; annotations: Record<string, string> }) => [
        l.annotations[TITLE],
        l.mediaType,
      ]),
    ).toEqual([
      ['dativo-plugin.yaml', MEDIA.manifestFile],
      ['p.wasm', MEDIA.module],
    ]);
    expect(packDir(dir).digest).toBe(a.digest);
    expect(a.digest).toBe(sha256Digest(a.manifestBytes));
  });

  it('refuses a version that is not semver and a stale entry sha256', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dativo-pack-'));
    plugin(dir, '"1.2"');
    expect(() => packDir(dir)).toThrow('version "1.2" is not a semantic version');
    plugin(dir);
    writeFileSync(path.join(dir, 'p.wasm'), 'changed');
    expect(() => packDir(dir)).toThrow('entry.sha256 is not the sha256 of p.wasm');
  });

  it('refuses layer file names that could escape the plugin folder', () => {
    for (const bad of ['../evil.wasm', 'a/b.wasm', '/etc/passwd', '.hidden', '..', 'x\\y']) {
      expect(() => assertSafeFileName(bad, 'p'), bad).toThrow('is not a plain file name');
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dativo-pack-'));
    plugin(dir);
    const a = packDir(dir);
    const m = JSON.parse(a.manifestBytes.toString());
    m.layers[1].annotations[TITLE] = '../../.bashrc';
    expect(() => layerFiles(m, a.plugin, 'p@1.2.3')).toThrow('"../../.bashrc" is not a plain file name');
    const huge = assemble(a.plugin, a.files);
    const hm = JSON.parse(huge.manifestBytes.toString());
    hm.layers[1].size = 10 * 1024 * 1024 * 1024;
    expect(() => layerFiles(hm, a.plugin, 'p@1.2.3')).toThrow('over the');
  });
});
