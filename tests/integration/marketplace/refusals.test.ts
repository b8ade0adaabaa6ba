/**
 * What install refuses, against the real registry, each leaving no plugin folder and no lock
 * entry: a tampered layer (the blob rewritten in the registry's storage), a signature over other
 * content, an unsigned artifact, an unknown key; and yanked versions, which install only when
 * pinned exactly.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packDir } from '../../../host/marketplace/artifact.js';
import { openRegistry } from '../../../host/marketplace/registry.js';
import { signatureTag } from '../../../host/marketplace/signature.js';
import { reportOf } from '../../helpers/cli.js';
import { buildAll, cli, pluginDir, type Registry, startRegistry } from './setup.js';

let reg: Registry;
let tmp: string;
let trustDir: string;
let url: string;

const run = (args: string[], cwd: string) => cli(args, cwd, trustDir);
const publish = (dir: string, key = 'trusted') =>
  run(['plugin', 'publish', dir, '--registry', url, '--key', path.join(tmp, `${key}.key`)], tmp);

/** A fresh project folder; after a refusal it must still hold nothing. */
function project(): string {
  const dir = path.join(tmp, `proj-${randomBytes(3).toString('hex')}`);
  mkdirSync(dir);
  return dir;
}

function expectNothingInstalled(dir: string): void {
  expect(existsSync(path.join(dir, 'dativo.lock'))).toBe(false);
  expect(existsSync(path.join(dir, 'dativo-plugins'))).toBe(false);
}

beforeAll(async () => {
  reg = startRegistry();
  buildAll();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'dativo-refuse-'));
  trustDir = path.join(tmp, 'trust');
  url = `${reg.url}/refuse-${randomBytes(4).toString('hex')}`;
  for (const k of ['trusted', 'stranger']) {
    const r = await run(['plugin', 'keygen', '--unencrypted', '--out', path.join(tmp, k)], tmp);
    expect(r.code, r.stderr).toBe(0);
  }
  expect((await run(['plugin', 'trust', path.join(tmp, 'trusted.pub')], tmp)).code).toBe(0);
}, 900_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('install refuses', () => {
  it('a layer whose bytes were changed in the registry (digest mismatch)', async () => {
    const dir = pluginDir(tmp, { name: 'tampered', version: '1.0.0', unique: true });
    expect((await publish(dir)).code).toBe(0);
    const hex = createHash('sha256')
      .update(readFileSync(path.join(dir, 'plugin.wasm')))
      .digest('hex');
    const blob = path.join(reg.storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const bytes = readFileSync(blob);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff; // same size, other content
    writeFileSync(blob, bytes);
    const p = project();
    const r = await run(['plugin', 'install', 'tampered', '--registry', url, '--yes'], p);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`blob sha256:${hex} has content digest`);
    expect(r.stderr).toContain('(tampered)');
    expectNothingInstalled(p);
  });

  it('a signature made over other content', async () => {
    const a = pluginDir(tmp, { name: 'swapped', version: '1.0.0' });
    const b = pluginDir(tmp, { name: 'swapped', version: '1.1.0' });
    expect((await publish(a)).code).toBe(0);
    expect((await publish(b)).code).toBe(0);
    // 1.1.0's signature tag now points at 1.0.0's signature manifest.
    const registry = await openRegistry(url, {});
    const repo = registry.repoOf('swapped');
    const sigOfA = await registry.client.getManifest(repo, signatureTag(packDir(a).digest));
    await registry.client.putManifest(
      repo,
      signatureTag(packDir(b).digest),
      sigOfA?.bytes ?? Buffer.alloc(0),
    );
    const p = project();
    const r = await run(['plugin', 'install', 'swapped@1.1.0', '--registry', url, '--yes'], p);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('does not match the content');
    expectNothingInstalled(p);
  });

  it('an unsigned artifact', async () => {
    const dir = pluginDir(tmp, { name: 'unsigned', version: '1.0.0' });
    const a = packDir(dir);
    const registry = await openRegistry(url, {});
    const repo = registry.repoOf('unsigned');
    await registry.client.pushBlob(repo, a.config);
    for (const f of a.files) await registry.client.pushBlob(repo, f.bytes);
    await registry.client.putManifest(repo, '1.0.0', a.manifestBytes);
    const p = project();
    const r = await run(['plugin', 'install', 'unsigned', '--registry', url, '--yes'], p);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not signed');
    expectNothingInstalled(p);
  });

  it('a key that is not trusted, naming its id', async () => {
    expect((await publish(pluginDir(tmp, { name: 'stranger', version: '1.0.0' }), 'stranger')).code).toBe(0);
    const id = readFileSync(path.join(tmp, 'stranger.pub'), 'utf8').match(/public key ([0-9A-F]{16})/)?.[1];
    const p = project();
    const r = await run(['plugin', 'install', 'stranger', '--registry', url, '--yes'], p);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`signed by key ${id}, which is not trusted`);
    expectNothingInstalled(p);
    // --trust for one command is enough.
    const ok = await run(
      [
        'plugin',
        'install',
        'stranger',
        '--registry',
        url,
        '--yes',
        '--trust',
        path.join(tmp, 'stranger.pub'),
      ],
      p,
    );
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('yanked versions unless pinned exactly', async () => {
    for (const v of ['1.0.0', '1.1.0'])
      expect((await publish(pluginDir(tmp, { name: 'yanky', version: v }))).code).toBe(0);
    const y = await run(['plugin', 'yank', 'yanky@1.1.0', '--registry', url, '--reason', 'bad parse'], tmp);
    expect(y.code, y.stderr).toBe(0);
    const info = reportOf(await run(['plugin', 'info', 'yanky', '--registry', url, '--json'], tmp));
    expect(info.versions.map((v: { version: string; yanked: boolean }) => [v.version, v.yanked])).toEqual([
      ['1.1.0', true],
      ['1.0.0', false],
    ]);
    const p = project();
    const r = await run(['plugin', 'install', 'yanky@^1', '--registry', url, '--yes', '--json'], p);
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).version).toBe('1.0.0');
    const only = await run(['plugin', 'install', 'yanky@~1.1', '--registry', url, '--yes'], project());
    expect(only.code).toBe(2);
    expect(only.stderr).toContain('1.1.0 is yanked (install it only by pinning yanky@1.1.0)');
    const pinned = await run(['plugin', 'install', 'yanky@1.1.0', '--registry', url, '--yes', '--json'], p);
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(pinned.stderr).toContain('yanky@1.1.0 is yanked; installing it because it was pinned exactly');
    expect(JSON.parse(readFileSync(path.join(p, 'dativo.lock'), 'utf8')).plugins.yanky.version).toBe('1.1.0');
  });
});
