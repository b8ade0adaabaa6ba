/**
 * `plugin validate` on Extism modules assembled from WAT: what the loader refuses (sha256, ABI,
 * role's exports) and what only validate sees (a host function imported whose capability the
 * manifest does not declare; a capability declared and never used). No plugin code runs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UNBUILT_SHA256 } from '../../../host/plugin-dev/manifest-edit.js';
import { validatePlugin } from '../../../host/plugin-dev/validate.js';
import { buildWat } from '../plugins/file-plugin.js';
import { pluginDir } from '../plugins/fixtures.js';

/** A reader that imports http_request (i64, i64) -> i64 and exports next_batch. */
const HTTP_READER = `(module
  (import "dativo" "http_request" (func $http (param i64 i64) (result i64)))
  (memory (export "memory") 1 2)
  (func (export "next_batch") (result i32) (i32.const 0)))`;
/** A reader that imports nothing. */
const PLAIN_READER = `(module
  (memory (export "memory") 1 2)
  (func (export "next_batch") (result i32) (i32.const 0)))`;

beforeAll(() => {
  buildWat('validate-http-reader', HTTP_READER);
  buildWat('validate-plain-reader', PLAIN_READER);
});

describe('plugin validate (Extism modules)', () => {
  it('accepts a module whose imports its manifest declares, listing its exports', async () => {
    const dir = pluginDir('validate-http-reader', {
      capabilities: { network: { hosts: ['api.example.com:443'] } },
    });
    const r = await validatePlugin(dir);
    expect(r).toMatchObject({
      plugin: 'validate-http-reader',
      role: 'reader',
      runtime: 'extism',
      abi: '1.0',
    });
    expect(r.exports).toEqual(['next_batch']);
    expect(r.warnings).toEqual([]);
  });

  it('refuses http_request imported without capabilities.network, naming the import and the key', async () => {
    const dir = pluginDir('validate-http-reader');
    await expect(validatePlugin(dir)).rejects.toThrow(
      'plugin validate-http-reader: plugin.wasm imports dativo.http_request, but the manifest does not declare capabilities.network.hosts: every such call would be denied',
    );
  });

  it('warns about a capability declared and never used', async () => {
    const dir = pluginDir('validate-plain-reader', { capabilities: { secrets: ['api_token'] } });
    const r = await validatePlugin(dir);
    expect(r.warnings).toEqual([
      'capabilities.secrets is declared but the module never calls the host function that uses it',
    ]);
  });

  it('refuses a module changed after its sha256 was written', async () => {
    const dir = pluginDir('validate-plain-reader', { sha256: 'ab'.repeat(32) });
    await expect(validatePlugin(dir)).rejects.toThrow(
      /integrity check failed for plugin\.wasm: sha256 is [0-9a-f]{64}, the manifest says (ab){32}/,
    );
  });

  it('names `plugin build` when the manifest still has the digest of nothing', async () => {
    const dir = pluginDir('validate-plain-reader', { sha256: UNBUILT_SHA256 });
    await expect(validatePlugin(dir)).rejects.toThrow(/not built yet .*run `dativo plugin build .*` first/);
  });

  it('refuses a writer manifest over a reader module, naming the missing exports', async () => {
    const dir = pluginDir('validate-plain-reader', { role: 'writer' });
    await expect(validatePlugin(dir)).rejects.toThrow(
      'plugin validate-plain-reader does not export write_batch, commit (a writer must export write_batch, commit)',
    );
  });

  it('refuses an ABI this host does not speak', async () => {
    const dir = pluginDir('validate-plain-reader', { abi: '2.0' });
    await expect(validatePlugin(dir)).rejects.toThrow(/2\.0/);
  });

  it('refuses a stream whose contract does not exist', async () => {
    const dir = pluginDir('validate-plain-reader');
    const file = path.join(dir, 'dativo-plugin.yaml');
    writeFileSync(
      file,
      `${readFileSync(file, 'utf8')}streams:\n  - { name: rows, contract: missing.yaml }\n`,
    );
    await expect(validatePlugin(dir)).rejects.toThrow(/missing\.yaml/);
  });
});
