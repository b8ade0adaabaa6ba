/**
 * The README's first commands on a fresh clone, as a user without root: `npm ci`, then the
 * documented launcher `./dativo run --config examples/quickstart/job.yaml`, then the same launcher
 * from another folder through a symlink on PATH. Slow (npm ci builds dist/), so one test; it reuses
 * this machine's npm cache (a copy: the unprivileged user cannot write root's).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { visibleCount } from '../helpers/duckdb.js';

const NOBODY = 65534;
const root = mkdtempSync(path.join(os.tmpdir(), 'dativo-fresh-clone-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function chownTree(dir: string, uid: number): void {
  execFileSync('chown', ['-R', `${uid}:${uid}`, dir]);
}

/** Run as `nobody` when we are root (CI), else as ourselves: never with root's rights. */
function asUser(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const isRoot = process.getuid?.() === 0;
  const [file, argv] = isRoot
    ? ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', cmd, ...args]]
    : [cmd, args];
  return spawnSync(file, argv, { cwd, env, encoding: 'utf8', timeout: 540_000 });
}

it('clone → npm ci → ./dativo run, as an unprivileged user', { timeout: 600_000 }, async () => {
  const clone = path.join(root, 'dativo');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', REPO, clone]);
  const home = path.join(root, 'home');
  const cache = path.join(root, 'npm-cache');
  mkdirSync(path.join(home, 'bin'), { recursive: true });
  const hostCache = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
  if (existsSync(path.join(hostCache, '_cacache')))
    cpSync(path.join(hostCache, '_cacache'), path.join(cache, '_cacache'), { recursive: true });
  else mkdirSync(cache);
  if (process.getuid?.() === 0) {
    chownTree(root, NOBODY);
    chownSync(root, NOBODY, NOBODY);
  }
  const env: NodeJS.ProcessEnv = {
    PATH: `${path.join(home, 'bin')}:${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    npm_config_cache: cache,
    npm_config_prefer_offline: 'true',
    NO_COLOR: '1',
  };
  // Native addons (better-sqlite3) build against the headers the machine's npm config names; the
  // temporary HOME hides that config, so it is handed over (there is no network to fetch headers).
  const nodedir = execFileSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).trim();
  if (nodedir && nodedir !== 'undefined' && nodedir !== 'null') env.npm_config_nodedir = nodedir;

  const ci = asUser('npm', ['ci', '--no-audit', '--no-fund'], clone, env);
  expect(ci.status, `npm ci failed:\n${ci.stderr}`).toBe(0);
  const run = asUser('./dativo', ['run', '--config', 'examples/quickstart/job.yaml'], clone, env);
  expect(run.status, run.stderr).toBe(0);
  expect(run.stderr).toMatch(/job: succeeded \(exit 0\) — 10 rows written/);
  expect(await visibleCount(path.join(clone, 'output/quickstart'))).toBe(10);

  // The documented way to type `dativo` anywhere: a symlink to the launcher on PATH.
  symlinkSync(path.join(clone, 'dativo'), path.join(home, 'bin', 'dativo'));
  const elsewhere = asUser(
    'dativo',
    ['validate', '--config', path.join(clone, 'examples/quickstart/job.yaml')],
    home,
    env,
  );
  expect(elsewhere.status, elsewhere.stderr).toBe(0);
  expect(elsewhere.stderr).toContain('valid (csv → local');
});
