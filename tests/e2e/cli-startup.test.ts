/**
 * Start-up: each command loads only what it needs (the lazy COMMANDS table in host/cli/main.ts).
 * Asserted on the modules the process loads, recorded by a loader hook, never on timings.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv, REPO } from '../helpers/cli.js';

const RECORDER = fileURLToPath(new URL('../helpers/record-loads.mjs', import.meta.url));
const QUICKSTART = 'examples/quickstart/job.yaml';

let tmp: string;
let n = 0;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-startup-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

interface Loaded {
  code: number | null;
  stdout: string;
  /** Loaded module URLs, relative to the repo where they are inside it. */
  modules: string[];
}

/** Runs the CLI with the recorder and returns its exit code and the modules it loaded. */
async function loadsOf(args: string[]): Promise<Loaded> {
  const log = path.join(tmp, `loads-${n++}.txt`);
  const child = spawn(process.execPath, ['--import', RECORDER, BIN, ...args], {
    cwd: REPO,
    env: cliEnv({ DATIVO_TEST_LOAD_LOG: log }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.resume();
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const text = await readFile(log, 'utf8').catch(() => '');
  const root = new URL(`file://${REPO.endsWith('/') ? REPO : `${REPO}/`}`).href;
  // node_modules may be a link outside the repo: keep the part from node_modules/ on.
  const modules = text
    .split('\n')
    .filter(Boolean)
    .map((u) => u.replace(root, '').replace(/^.*\/node_modules\//, 'node_modules/'));
  return { code, stdout, modules };
}

/** Packages and host modules no light command may load. */
const HEAVY = [
  'node_modules/apache-arrow/',
  'node_modules/parquet-wasm/',
  'node_modules/@aws-sdk/',
  'node_modules/@opentelemetry/',
  'node_modules/prom-client/',
  'node_modules/pino/',
  'node_modules/@extism/',
  'dist/pipeline/run-job.js',
  'dist/sinks/',
];

function heavyIn(modules: string[]): string[] {
  return modules.filter((m) => HEAVY.some((h) => m.startsWith(h)));
}

describe('cli start-up loads only what the command needs', () => {
  it('--version loads the CLI core and no command module', async () => {
    const r = await loadsOf(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('0.1.0');
    expect(r.modules).toContain('dist/cli/main.js');
    expect(r.modules.filter((m) => m.startsWith('dist/cli/commands/'))).toEqual([]);
    expect(heavyIn(r.modules)).toEqual([]);
    expect(r.modules.filter((m) => m.startsWith('node_modules/zod'))).toEqual([]);
  }, 60_000);

  it('--help lists every command without loading any command module', async () => {
    const r = await loadsOf(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('validate [options]');
    expect(r.stdout).toContain('start [options] [mode]');
    expect(r.modules.filter((m) => m.startsWith('dist/cli/commands/'))).toEqual([]);
    expect(heavyIn(r.modules)).toEqual([]);
  }, 60_000);

  it('run --help loads the run command but not the pipeline', async () => {
    const r = await loadsOf(['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--full-refresh');
    expect(r.modules).toContain('dist/cli/commands/run.js');
    expect(r.modules).not.toContain('dist/cli/commands/run-jobs.js');
    expect(r.modules.filter((m) => m.startsWith('dist/cli/commands/') && !m.endsWith('/run.js'))).toEqual([]);
    expect(heavyIn(r.modules)).toEqual([]);
  }, 60_000);

  it('validate on the quickstart job loads the config schemas, not the pipeline', async () => {
    const r = await loadsOf(['validate', '--config', QUICKSTART]);
    expect(r.code).toBe(0);
    expect(r.modules).toContain('dist/cli/commands/validate.js');
    expect(r.modules).toContain('dist/config/job-schema.js');
    expect(
      r.modules.filter((m) => m.startsWith('dist/cli/commands/') && !m.endsWith('/validate.js')),
    ).toEqual([]);
    expect(heavyIn(r.modules)).toEqual([]);
  }, 60_000);

  it('a run loads the pipeline (the recorder does see it)', async () => {
    // `run` without a job file is a usage error, raised once the run's module is loaded.
    const r = await loadsOf(['run']);
    expect(r.code).toBe(2);
    expect(r.modules).toContain('dist/cli/commands/run-jobs.js');
    expect(r.modules).toContain('dist/pipeline/run-job.js');
  }, 60_000);
});
