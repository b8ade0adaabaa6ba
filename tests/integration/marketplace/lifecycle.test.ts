/**
 * The plugin marketplace against a real OCI registry (Debian's docker-registry): keygen → pack →
 * publish → search → install → a job runs the installed plugin (DuckDB reads the Parquet) →
 * update (same capabilities: no question; more capabilities: refused without approval) →
 * --frozen → verify (tampered file, revoked key) → remove.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportOf } from '../../helpers/cli.js';
import { duck } from '../../helpers/duckdb.js';
import { buildAll, cli, pluginDir, type Registry, startRegistry, writeJob } from './setup.js';

let reg: Registry;
let tmp: string;
let trustDir: string;
let project: string;
let url: string;
let keyId: string;

const lockOf = () => JSON.parse(readFileSync(path.join(project, 'dativo.lock'), 'utf8'));
const run = (args: string[], cwd = project) => cli(args, cwd, trustDir);

beforeAll(() => {
  reg = startRegistry();
  buildAll();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'dativo-market-'));
  trustDir = path.join(tmp, 'trust');
  project = path.join(tmp, 'project');
  mkdirSync(project);
  url = `${reg.url}/life-${randomBytes(4).toString('hex')}`;
}, 900_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('plugin marketplace lifecycle', () => {
  it('keygen, pack and publish sign and push the artifact; search reads it back from the registry', async () => {
    const kg = await run(
      ['plugin', 'keygen', '--unencrypted', '--out', path.join(tmp, 'acme'), '--json'],
      tmp,
    );
    expect(kg.code, kg.stderr).toBe(0);
    keyId = reportOf(kg).keyId;
    expect(keyId).toMatch(/^[0-9A-F]{16}$/);
    const dir = pluginDir(tmp, { name: 'csv-reader', version: '1.0.0' });
    const pack = await run(['plugin', 'pack', dir, '--json'], tmp);
    expect(pack.code, pack.stderr).toBe(0);
    const packed = reportOf(pack);
    expect(packed.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual([
      'application/vnd.dativo.plugin.manifest.v1+yaml',
      'application/vnd.dativo.plugin.module.v1+wasm',
      'text/markdown',
    ]);
    const pub = await run(
      ['plugin', 'publish', dir, '--registry', url, '--key', path.join(tmp, 'acme.key'), '--json'],
      tmp,
    );
    expect(pub.code, pub.stderr).toBe(0);
    expect(reportOf(pub)).toMatchObject({
      digest: packed.digest,
      keyId,
      signatureTag: `${packed.digest.replace(':', '-')}.sig`,
    });
    // The registry serves the manifest under the version tag, with our config media type.
    const raw = await fetch(`${reg.url}/v2/${new URL(url).pathname.slice(1)}/csv-reader/manifests/1.0.0`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    const body = Buffer.from(await raw.arrayBuffer());
    expect(`sha256:${createHash('sha256').update(body).digest('hex')}`).toBe(packed.digest);
    expect(JSON.parse(body.toString()).config.mediaType).toBe('application/vnd.dativo.plugin.config.v1+json');

    const search = await run(['plugin', 'search', 'csv', '--registry', url, '--json'], tmp);
    expect(search.code, search.stderr).toBe(0);
    const found = reportOf(search);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ name: 'csv-reader', allVersions: ['1.0.0'] });
    // Not trusted yet: search says so, and install refuses.
    expect(found[0].versions[0]).toMatchObject({
      version: '1.0.0',
      abi: '1.0',
      keyId,
      signature: 'untrusted',
      yanked: false,
    });
    const refused = await run(['plugin', 'install', 'csv-reader@^1', '--registry', url, '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`signed by key ${keyId}, which is not trusted`);
    expect(existsSync(path.join(project, 'dativo.lock'))).toBe(false);
    expect(existsSync(path.join(project, 'dativo-plugins'))).toBe(false);
  });

  it('install shows the capabilities, needs approval, and records the plugin in dativo.lock', async () => {
    expect((await run(['plugin', 'trust', path.join(tmp, 'acme.pub')], tmp)).code).toBe(0);
    const noYes = await run(['plugin', 'install', 'csv-reader@^1', '--registry', url]);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain("files: reads the job's source.files");
    expect(noYes.stderr).toContain('were not approved; nothing was installed');
    expect(existsSync(path.join(project, 'dativo.lock'))).toBe(false);

    const ok = await run(['plugin', 'install', 'csv-reader@^1', '--registry', url, '--yes', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const entry = lockOf().plugins['csv-reader'];
    expect(entry).toMatchObject({
      version: '1.0.0',
      range: '^1',
      source: 'registry',
      abi: '1.0',
      key_id: keyId,
    });
    expect(entry.path).toBe(path.join('dativo-plugins', 'csv-reader'));
    const wasm = readFileSync(path.join(project, entry.path, 'plugin.wasm'));
    expect(entry.files['plugin.wasm']).toBe(createHash('sha256').update(wasm).digest('hex'));
    expect(Object.keys(entry.files).sort()).toEqual(['README.md', 'dativo-plugin.yaml', 'plugin.wasm']);
  });

  it('a job naming the installed plugin (name@range) runs it; DuckDB reads 250 rows', async () => {
    const { job, out } = writeJob(project, 'csv-reader@^1.0');
    const r = await run(['run', '--config', job, '--state-dir', path.join(tmp, 'state'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).rows.written).toBe(250);
    const rows = await duck<{ n: bigint; s: number; last: string }>(
      `SELECT count(*) AS n, sum(id)::DOUBLE AS s, max_by(name, id) AS last FROM read_parquet('${out}/**/*.parquet', hive_partitioning = false)`,
    );
    expect(rows[0]).toEqual({ n: 250n, s: 31375, last: 'n250' });
    // A range the lock does not satisfy names the install command.
    const { job: job2 } = writeJob(project, 'csv-reader@^2');
    const r2 = await run(['run', '--config', job2, '--state-dir', path.join(tmp, 'state2')]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(
      'has csv-reader@1.0.0, which does not satisfy ^2; run dativo plugin install csv-reader@^2',
    );
  });

  it('update: same capabilities pass; more capabilities need approval; --frozen refuses a lock change', async () => {
    const pub = (v: string, hosts: string[] = []) =>
      run(
        [
          'plugin',
          'publish',
          pluginDir(tmp, { name: 'csv-reader', version: v, hosts }),
          '--registry',
          url,
          '--key',
          path.join(tmp, 'acme.key'),
        ],
        tmp,
      );
    expect((await pub('1.1.0')).code).toBe(0);
    const up = await run(['plugin', 'update', '--registry', url]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('updated csv-reader 1.0.0 → 1.1.0');
    expect(lockOf().plugins['csv-reader'].version).toBe('1.1.0');

    expect((await pub('1.2.0', ['api.example.com:443'])).code).toBe(0);
    const before = readFileSync(path.join(project, 'dativo.lock'), 'utf8');
    const more = await run(['plugin', 'update']);
    expect(more.code).toBe(2);
    expect(more.stderr).toContain('asks for more than 1.1.0 was allowed');
    expect(more.stderr).toContain('+ network host api.example.com:443');
    expect(readFileSync(path.join(project, 'dativo.lock'), 'utf8')).toBe(before);
    expect(
      readFileSync(path.join(project, 'dativo-plugins/csv-reader/dativo-plugin.yaml'), 'utf8'),
    ).toContain('version: 1.1.0');

    const frozen = await run(['plugin', 'update', '--yes', '--frozen']);
    expect(frozen.code).toBe(2);
    expect(frozen.stderr).toContain('--frozen');
    expect(frozen.stderr).toContain('would change (csv-reader)');
    expect(readFileSync(path.join(project, 'dativo.lock'), 'utf8')).toBe(before);

    const yes = await run(['plugin', 'update', '--yes']);
    expect(yes.code, yes.stderr).toBe(0);
    expect(lockOf().plugins['csv-reader']).toMatchObject({
      version: '1.2.0',
      capabilities: { network: { hosts: ['api.example.com:443'] } },
    });
  });

  it('an ABI newer than the host is refused before any module is downloaded; ^1 still resolves', async () => {
    const dir = pluginDir(tmp, { name: 'csv-reader', version: '2.0.0', abi: '9.0', unique: true });
    expect(
      (await run(['plugin', 'publish', dir, '--registry', url, '--key', path.join(tmp, 'acme.key')], tmp))
        .code,
    ).toBe(0);
    // Delete its module blob: an install that downloaded the module first would fail with "not found".
    const wasm = createHash('sha256')
      .update(readFileSync(path.join(dir, 'plugin.wasm')))
      .digest('hex');
    const repoPath = `${new URL(url).pathname.slice(1)}/csv-reader`;
    const del = await fetch(`${reg.url}/v2/${repoPath}/blobs/sha256:${wasm}`, { method: 'DELETE' });
    expect(del.status).toBe(202);
    const r = await run(['plugin', 'install', 'csv-reader@^2', '--registry', url, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("ABI 9.0 is newer than this host's ABI 1.1");
    expect(lockOf().plugins['csv-reader'].version).toBe('1.2.0');
    const info = reportOf(await run(['plugin', 'info', 'csv-reader', '--registry', url, '--json'], tmp));
    expect(info.versions.map((v: { version: string; abi: string }) => `${v.version}/${v.abi}`)).toEqual([
      '2.0.0/9.0',
      '1.2.0/1.0',
      '1.1.0/1.0',
      '1.0.0/1.0',
    ]);
  });

  it('verify re-hashes installed files and re-checks signatures (a modified file, a revoked key)', async () => {
    const ok = await run(['plugin', 'verify']);
    expect(ok.code, ok.stderr).toBe(0);
    const wasm = path.join(project, 'dativo-plugins/csv-reader/plugin.wasm');
    const original = readFileSync(wasm);
    appendFileSync(wasm, Buffer.from([0]));
    const bad = await run(['plugin', 'verify']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${wasm} was modified`);
    const { job } = writeJob(project, 'csv-reader@^1');
    const runBad = await run(['run', '--config', job, '--state-dir', path.join(tmp, 'state3')]);
    expect(runBad.code).toBe(2);
    expect(runBad.stderr).toContain(`${wasm} was modified`);
    writeFileSync(wasm, original);
    expect((await run(['plugin', 'verify'])).code).toBe(0);

    expect((await run(['plugin', 'trust', '--revoke', keyId], tmp)).code).toBe(0);
    const revoked = await run(['plugin', 'verify']);
    expect(revoked.code).toBe(2);
    expect(revoked.stderr).toContain(`signed by key ${keyId}, which was revoked`);
    // Trusting it again (a deliberate act) restores it.
    expect((await run(['plugin', 'trust', path.join(tmp, 'acme.pub')], tmp)).code).toBe(0);
    expect((await run(['plugin', 'verify'])).code).toBe(0);
  });

  it('remove drops the lock entry and the folder; a job naming it then says how to install it', async () => {
    const frozen = await run(['plugin', 'remove', 'csv-reader', '--frozen']);
    expect(frozen.code).toBe(2);
    expect(lockOf().plugins['csv-reader']).toBeDefined();
    const r = await run(['plugin', 'remove', 'csv-reader']);
    expect(r.code, r.stderr).toBe(0);
    expect(lockOf().plugins).toEqual({});
    expect(existsSync(path.join(project, 'dativo-plugins/csv-reader'))).toBe(false);
    const { job } = writeJob(project, 'csv-reader@^1');
    const runGone = await run(['run', '--config', job, '--state-dir', path.join(tmp, 'state4')]);
    expect(runGone.code).toBe(2);
    expect(runGone.stderr).toContain('plugin csv-reader is not in');
    expect(runGone.stderr).toContain('run dativo plugin install csv-reader@^1');
  });
});
