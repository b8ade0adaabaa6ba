/**
 * The repo's Dockerfile, built without a registry on a base made from the Singer image's debootstrap
 * rootfs plus this machine's Node 20 (scripts/build-dativo-image.sh), runs `dativo --help` and the
 * quickstart (CSV → contract → Parquet), read back by DuckDB on the host.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { visibleCount } from '../helpers/duckdb.js';

const IMAGE = 'dativo:local';

beforeAll(() => {
  execFileSync('bash', [path.join(REPO, 'scripts/build-dativo-image.sh')], {
    cwd: REPO,
    env: { ...process.env, DATIVO_IMAGE: IMAGE },
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 2_400_000,
  });
}, 2_400_000);

function docker(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', timeout: 300_000 });
}

it('runs `dativo --help` as a non-root user with no network', () => {
  const out = docker(['run', '--rm', '--network', 'none', IMAGE, '--help']);
  expect(out).toMatch(/Usage: dativo/);
  expect(out).toMatch(/\brun\b/);
  expect(docker(['image', 'inspect', '-f', '{{.Config.User}}', IMAGE]).trim()).toBe('65532:65532');
});

it('runs the quickstart inside the container', async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'dativo-image-'));
  await chmod(work, 0o777);
  docker([
    'run',
    '--rm',
    '--network',
    'none',
    '--read-only',
    '--tmpfs',
    '/tmp',
    '-v',
    `${work}:/data`,
    '-w',
    '/data',
    IMAGE,
    'run',
    '--config',
    '/opt/dativo/examples/quickstart/job.yaml',
    '--state-dir',
    '/data/state',
    '--json',
  ]);
  expect(await visibleCount(path.join(work, 'output/quickstart'))).toBeGreaterThan(0);
});
