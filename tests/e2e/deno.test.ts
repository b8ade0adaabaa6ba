/** The CLI also runs under Deno, with explicit permission flags instead of ambient authority. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cliEnv, REPO } from '../helpers/cli.js';
import { visibleCount } from '../helpers/duckdb.js';

const DENO = path.join(REPO, 'node_modules/deno/deno');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-deno-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

function deno(args: string[]) {
  const out = path.join(tmp, 'out');
  const state = path.join(tmp, 'state');
  return spawnSync(
    DENO,
    [
      'run',
      '--no-prompt',
      `--allow-read`,
      `--allow-write=${tmp}`,
      '--allow-env',
      '--allow-sys',
      'bin/dativo.js',
      ...args,
      '--state-dir',
      state,
    ],
    {
      cwd: REPO,
      env: cliEnv({ OUT_DIR: out, DENO_DIR: path.join(tmp, 'deno-cache') }),
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
}

it('validates and runs a job under Deno', async () => {
  const v = deno(['validate', '--config', 'tests/fixtures/jobs/person.yaml']);
  expect(v.status, v.stderr).toBe(0);
  const r = deno(['run', '--config', 'tests/fixtures/jobs/person.yaml', '--json']);
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).rows.written).toBe(10);
  expect(await visibleCount(path.join(tmp, 'out'))).toBe(10);
});

it('without write permission the run fails cleanly (exit 2), not with a crash', () => {
  const r = spawnSync(
    DENO,
    [
      'run',
      '--no-prompt',
      '--allow-read',
      '--allow-env',
      '--allow-sys',
      'bin/dativo.js',
      'run',
      '--config',
      'tests/fixtures/jobs/person.yaml',
      '--state-dir',
      path.join(tmp, 's2'),
    ],
    {
      cwd: REPO,
      env: cliEnv({ OUT_DIR: path.join(tmp, 'out2') }),
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/NotCapable|permission|write access/i);
});

it('`deno task dativo` (deno.json) runs the CLI with the deno that npm ci installs', () => {
  // Through node_modules/.bin/deno, as `npx deno task …` or a PATH with node_modules/.bin finds it.
  const r = spawnSync(
    path.join(REPO, 'node_modules/.bin/deno'),
    ['task', 'dativo', 'validate', '--config', 'tests/fixtures/jobs/person.yaml'],
    {
      cwd: REPO,
      env: cliEnv({ OUT_DIR: path.join(tmp, 'out3'), DENO_DIR: path.join(tmp, 'deno-cache'), NO_COLOR: '1' }),
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  expect(r.stderr).not.toContain('SyntaxError');
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toContain('person.yaml: valid (csv → local');
});
