/**
 * Standard tools read and write what we publish: `skopeo inspect --raw` reads the manifest,
 * `skopeo copy docker://… oci:DIR` copies the artifact and its signature and `dativo plugin
 * install oci:DIR` installs from the copy; `dativo plugin pull --to oci:DIR` does the same;
 * `minisign -V` verifies our signature; keys made by `minisign -G` (password-protected, the
 * password from the secret manager) and `minisign -G -W` sign publishes.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packDir } from '../../../host/marketplace/artifact.js';
import { signatureTag } from '../../../host/marketplace/signature.js';
import { reportOf } from '../../helpers/cli.js';
import { buildAll, cli, pluginDir, type Registry, startRegistry } from './setup.js';

let reg: Registry;
let tmp: string;
let trustDir: string;
let url: string;
let ns: string;
let dir: string;

const run = (args: string[], cwd = tmp, env: Record<string, string> = {}) => cli(args, cwd, trustDir, env);
const skopeo = (...args: string[]) =>
  execFileSync('skopeo', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(async () => {
  reg = startRegistry();
  buildAll();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'dativo-interop-'));
  trustDir = path.join(tmp, 'trust');
  ns = `interop-${randomBytes(4).toString('hex')}`;
  url = `${reg.url}/${ns}`;
  // A key made by minisign itself, unencrypted (-W).
  execFileSync('minisign', ['-G', '-W', '-f', '-p', path.join(tmp, 'w.pub'), '-s', path.join(tmp, 'w.key')], {
    stdio: 'ignore',
  });
  expect((await run(['plugin', 'trust', path.join(tmp, 'w.pub')])).code).toBe(0);
  dir = pluginDir(tmp, { name: 'csv-interop', version: '0.3.0' });
  const pub = await run(['plugin', 'publish', dir, '--registry', url, '--key', path.join(tmp, 'w.key')]);
  expect(pub.code, pub.stderr).toBe(0);
}, 900_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('interop with skopeo and minisign', () => {
  it('skopeo inspect --raw reads the manifest we pushed, byte for byte', () => {
    const raw = skopeo(
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${reg.hostPort}/${ns}/csv-interop:0.3.0`,
    );
    const ours = packDir(dir).manifestBytes.toString();
    expect(raw.trim()).toBe(ours);
    const m = JSON.parse(raw);
    expect(m.config.mediaType).toBe('application/vnd.dativo.plugin.config.v1+json');
    expect(
      m.layers.map(
        (l: { annotations: Record<string, string> }) => l.annotations['org.opencontainers.image.title'],
      ),
    ).toEqual(['dativo-plugin.yaml', 'plugin.wasm', 'README.md']);
  });

  it('skopeo copy to an OCI layout (artifact and signature tag) installs with dativo plugin install oci:DIR', async () => {
    const layout = path.join(tmp, 'layout');
    const sigTag = signatureTag(packDir(dir).digest);
    for (const tag of ['0.3.0', sigTag]) {
      skopeo(
        'copy',
        '--src-tls-verify=false',
        `docker://${reg.hostPort}/${ns}/csv-interop:${tag}`,
        `oci:${layout}:${tag}`,
      );
    }
    const project = path.join(tmp, 'p1');
    mkdirSync(project);
    const r = await run(['plugin', 'install', `oci:${layout}:0.3.0`, '--yes', '--json'], project);
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r)).toMatchObject({
      name: 'csv-interop',
      version: '0.3.0',
      source: 'oci-layout',
      digest: packDir(dir).digest,
    });
    expect((await run(['plugin', 'verify'], project)).code).toBe(0);
  });

  it('dativo plugin pull --to oci:DIR, then install from it offline', async () => {
    const layout = path.join(tmp, 'pulled');
    const p = await run([
      'plugin',
      'pull',
      'csv-interop@^0.3',
      '--registry',
      url,
      '--to',
      `oci:${layout}`,
      '--json',
    ]);
    expect(p.code, p.stderr).toBe(0);
    // skopeo reads our layout too.
    const raw = skopeo('inspect', '--raw', `oci:${layout}:0.3.0`);
    expect(JSON.parse(raw).config.mediaType).toBe('application/vnd.dativo.plugin.config.v1+json');
    const project = path.join(tmp, 'p2');
    mkdirSync(project);
    const r = await run(['plugin', 'install', `oci:${layout}`, '--yes', '--json'], project);
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).version).toBe('0.3.0');
  });

  it('minisign -V verifies the signature of an installed plugin over its manifest', () => {
    const prov = path.join(tmp, 'p2/dativo-plugins/csv-interop/.dativo');
    const outText = execFileSync(
      'minisign',
      [
        '-V',
        '-p',
        path.join(tmp, 'w.pub'),
        '-m',
        path.join(prov, 'manifest.json'),
        '-x',
        path.join(prov, 'signature.minisig'),
      ],
      { encoding: 'utf8' },
    );
    expect(outText).toContain('Signature and comment signature verified');
    expect(outText).toContain(
      `Trusted comment: dativo-plugin csv-interop@0.3.0 manifest ${packDir(dir).digest}`,
    );
  });

  it('a password-protected minisign -G key signs a publish, the password from the secret manager', async () => {
    const password = `pw-${randomBytes(6).toString('hex')}`;
    execFileSync('minisign', ['-G', '-f', '-p', path.join(tmp, 'g.pub'), '-s', path.join(tmp, 'g.key')], {
      input: `${password}\n${password}\n`,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const d = pluginDir(tmp, { name: 'csv-interop', version: '0.4.0' });
    const env = { DATIVO_SECRET__DEFAULT__PLUGIN_KEY_PASSWORD: password };
    const pub = await run(
      ['plugin', 'publish', d, '--registry', url, '--key', path.join(tmp, 'g.key'), '--json'],
      tmp,
      env,
    );
    expect(pub.code, pub.stderr).toBe(0);
    expect(pub.stdout + pub.stderr).not.toContain(password);
    // minisign drops the id's leading zeros; dativo prints all 16 digits.
    const printed = readFileSync(path.join(tmp, 'g.pub'), 'utf8').match(/public key ([0-9A-F]+)/)?.[1];
    const keyId = printed?.padStart(16, '0');
    expect(keyId).toMatch(/^[0-9A-F]{16}$/);
    expect(reportOf(pub).keyId).toBe(keyId);
    const info = reportOf(
      await run([
        'plugin',
        'info',
        'csv-interop',
        '--registry',
        url,
        '--trust',
        path.join(tmp, 'g.pub'),
        '--json',
      ]),
    );
    expect(info.versions[0]).toMatchObject({ version: '0.4.0', keyId, signature: 'trusted' });
    // A wrong password is refused by name, without echoing it.
    const bad = await run(
      ['plugin', 'publish', d, '--registry', url, '--key', path.join(tmp, 'g.key')],
      tmp,
      {
        DATIVO_SECRET__DEFAULT__PLUGIN_KEY_PASSWORD: 'not-the-password',
      },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('wrong password for this key');
    expect(bad.stderr).not.toContain('not-the-password');
  });
});
