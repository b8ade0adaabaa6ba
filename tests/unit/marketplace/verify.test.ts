import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LockEntry, writeLock } from '../../../host/marketplace/lock.js';
import { fileProblems, resolveInstalledPlugin } from '../../../host/marketplace/verify.js';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

function project(): { dir: string; entry: LockEntry } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dativo-verify-'));
  const plugin = path.join(dir, 'dativo-plugins', 'p');
  mkdirSync(path.join(plugin, '.dativo'), { recursive: true });
  writeFileSync(path.join(plugin, 'dativo-plugin.yaml'), 'name: p');
  writeFileSync(path.join(plugin, 'p.wasm'), 'module');
  writeFileSync(path.join(plugin, '.dativo', 'manifest.json'), '{}');
  const entry: LockEntry = {
    version: '1.2.0',
    range: '^1',
    source: 'dir',
    location: dir,
    digest: 'sha256:x',
    abi: '1.0',
    capabilities: {},
    path: 'dativo-plugins/p',
    files: { 'dativo-plugin.yaml': hex('name: p'), 'p.wasm': hex('module') },
  };
  writeLock(dir, { lockfile_version: 1, plugins: { p: entry } });
  return { dir, entry };
}

describe('installed plugin checks', () => {
  it('names a modified, a missing and an extra file', () => {
    const { dir, entry } = project();
    expect(fileProblems(dir, 'p', entry)).toEqual([]);
    const plugin = path.join(dir, 'dativo-plugins/p');
    writeFileSync(path.join(plugin, 'p.wasm'), 'module!');
    rmSync(path.join(plugin, 'dativo-plugin.yaml'));
    writeFileSync(path.join(plugin, 'extra.wasm'), 'x');
    expect(fileProblems(dir, 'p', entry)).toEqual([
      `p: ${plugin}/dativo-plugin.yaml is missing`,
      `p: ${plugin}/p.wasm was modified (sha256 ${hex('module!')}, the lock says ${hex('module')})`,
      `p: ${plugin}/extra.wasm is not in the lock`,
    ]);
  });

  it('resolves NAME@RANGE for a job from the lock above the job folder, or says how to install it', () => {
    const { dir } = project();
    const jobs = path.join(dir, 'jobs', 'nightly');
    mkdirSync(jobs, { recursive: true });
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'dativo-cwd-'));
    expect(resolveInstalledPlugin('p@^1.1', jobs, elsewhere)).toBe(path.join(dir, 'dativo-plugins/p'));
    expect(() => resolveInstalledPlugin('p@^2', jobs, elsewhere)).toThrow(
      'has p@1.2.0, which does not satisfy ^2; run dativo plugin install p@^2',
    );
    expect(() => resolveInstalledPlugin('q@^1', jobs, elsewhere)).toThrow('plugin q is not in');
    expect(() => resolveInstalledPlugin('q', elsewhere, elsewhere)).toThrow('no dativo.lock found above');
  });
});
