import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResolvedJob } from '../../../host/config/types.js';
import { bwrapArgs } from '../../../host/engines/bwrap/index.js';
import { createMeltanoSource } from '../../../host/engines/meltano/index.js';

describe('bubblewrap arguments', () => {
  it('isolates by default: empty env, new namespaces, no network, only named binds', () => {
    const a = bwrapArgs({
      argv: ['/opt/tap/tap', '--config', '/config/config.json'],
      readOnly: [{ host: '/opt/tap' }, { host: '/tmp/c', inside: '/config' }],
    });
    for (const flag of [
      '--clearenv',
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
      '--unshare-net',
      '--unshare-user',
      '--die-with-parent',
    ])
      expect(a).toContain(flag);
    expect(a.join(' ')).toContain('--cap-drop ALL');
    expect(a.join(' ')).toContain('--ro-bind /opt/tap /opt/tap');
    expect(a.join(' ')).toContain('--ro-bind /tmp/c /config');
    expect(a.join(' ')).toContain('--tmpfs /tmp');
    expect(a.join(' ')).not.toMatch(/--(ro-)?bind \/etc |--bind \/ |\/root|\/home/);
    expect(a.slice(a.indexOf('--') + 1)).toEqual(['/opt/tap/tap', '--config', '/config/config.json']);
  });

  it('a network grant shares the host network and adds name resolution files only', () => {
    const a = bwrapArgs({ argv: ['x'], readOnly: [], network: true });
    expect(a).not.toContain('--unshare-net');
    expect(a.join(' ')).not.toContain('/etc/shadow');
  });
});

function fakeJob(dir: string, options: Record<string, unknown>): ResolvedJob {
  return {
    file: path.join(dir, 'job.yaml'),
    source: {
      type: 'stripe',
      engine: 'meltano',
      options,
      objects: [],
      config: {},
      credentials: {},
      files: [],
    },
    locate: (keyPath: string) => ({ file: path.join(dir, 'job.yaml'), keyPath }),
  } as unknown as ResolvedJob;
}

describe('meltano', () => {
  it('needs a meltano.yml that declares the extractor', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-meltano-'));
    expect(() => createMeltanoSource(fakeJob(dir, {}), 100)).toThrow(/no meltano.yml in/);
    await writeFile(path.join(dir, 'meltano.yml'), 'plugins:\n  extractors:\n    - name: tap-hubspot\n');
    expect(() => createMeltanoSource(fakeJob(dir, {}), 100)).toThrow(
      /declares no extractor "tap-stripe" \(it declares tap-hubspot\)/,
    );
  });

  it('says what to install when meltano is not on PATH', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-meltano-'));
    await writeFile(path.join(dir, 'meltano.yml'), 'plugins:\n  extractors:\n    - name: tap-stripe\n');
    const saved = process.env.PATH;
    process.env.PATH = dir;
    try {
      expect(() => createMeltanoSource(fakeJob(dir, {}), 100)).toThrow(
        /meltano command is not installed.*pipx install meltano/,
      );
    } finally {
      process.env.PATH = saved;
    }
  });
});
