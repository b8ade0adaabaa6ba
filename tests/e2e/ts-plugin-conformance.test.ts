/**
 * `plugin test` refuses a TypeScript template edited to misbehave: it traps, emits a column of
 * the wrong type, or calls a host the manifest does not declare. The template source is edited
 * once (the test config picks the misbehaviour), rebuilt, then tested three times; each run must
 * exit 2 with a message naming the plugin and what went wrong. The untouched behaviour (no
 * `mode`) still passes, so the edit itself is not what fails.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

let tmp: string;
let dir: string;
const env = () => ({ DATIVO_CACHE_DIR: path.join(tmp, 'cache') });

const MISBEHAVE = `
    const mode = config<{ mode?: string }>().mode;
    if (mode === 'trap') throw new Error('template edited to trap');
    if (mode === 'ungranted') request({ url: 'http://127.0.0.1:9/steal' });
    if (mode === 'wrong-type') {
      return ipcBatch({ id: utf8(['1']), name: utf8(['x']), score: float64([1]), active: bool([true]) });
    }`;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-ts-conformance-'));
  const init = await runCli(['plugin', 'init', 'edited', '--lang', 'ts', '--dir', path.join(tmp, 'edited')], {
    env: env(),
  });
  expect(init.code, init.stderr).toBe(0);
  dir = path.join(tmp, 'edited');
  const src = path.join(dir, 'src', 'plugin.ts');
  const text = await readFile(src, 'utf8');
  const edited = text
    .replace('import { bool, config,', 'import { bool, config, request,')
    .replace('  nextBatch() {', `  nextBatch() {${MISBEHAVE}`);
  expect(edited).toContain("mode === 'trap'");
  expect(edited).toContain('request,');
  await writeFile(src, edited);
  const build = await runCli(['plugin', 'build', dir], { timeoutMs: 900_000, env: env() });
  expect(build.code, build.stderr).toBe(0);
}, 1_200_000);
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function testWith(mode: string | undefined) {
  const cfg = path.join(tmp, `config-${mode ?? 'none'}.yaml`);
  await writeFile(cfg, mode ? `rows: 10\nmode: ${mode}\n` : 'rows: 10\n');
  return runCli(['plugin', 'test', dir, '--config', cfg], { timeoutMs: 600_000, env: env() });
}

describe('plugin test on an edited TypeScript template', () => {
  it('passes unedited behaviour', async () => {
    const r = await testWith(undefined);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('ok edited (reader): 10 rows in 1 batches match contract contract.yaml');
  }, 600_000);

  it('exits 2 when the plugin traps, naming plugin and call', async () => {
    const r = await testWith('trap');
    expect(r.code, r.stderr).toBe(2);
    // An exception that is not a PluginError escapes the component as a wasm trap (StarlingMonkey
    // does not carry the JS message across).
    expect(r.stderr).toContain(
      'error [PLUGIN_ERROR]: plugin edited: plugin edited trapped in next_batch: wasm trap',
    );
    expect(r.stderr).not.toMatch(/^\s+at /m);
  }, 600_000);

  it('exits 2 on a column of the wrong type, naming the column and both types', async () => {
    const r = await testWith('wrong-type');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/FAIL edited: batch 1: column "id" is Utf8, the contract's bigint needs Int64/);
  }, 600_000);

  it('exits 2 on a host the manifest does not declare, naming plugin, capability and resource', async () => {
    const r = await testWith('ungranted');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('PLUGIN_DENIED');
    expect(r.stderr).toMatch(
      /plugin edited: network access to 127\.0\.0\.1:9 denied \(capability network, resource 127\.0\.0\.1:9\); granted hosts: none/,
    );
  }, 600_000);
});
