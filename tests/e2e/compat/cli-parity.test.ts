/**
 * The CLI as a migrating user meets it: unknown commands, a closed stdout, `--json` over a job
 * folder, a missing job folder, and an output folder the user cannot write.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv, REPO, runCli } from '../../helpers/cli.js';
import { visibleCount } from '../../helpers/duckdb.js';

const FIXTURE = path.join(REPO, 'tests/fixtures/original-compat');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'compat-cli-'));
  await chmod(tmp, 0o755); // the unprivileged user below must reach the project
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function project(name: string): Promise<string> {
  const dir = path.join(tmp, name);
  await cp(FIXTURE, dir, { recursive: true });
  await mkdir(path.join(dir, 'data'), { recursive: true });
  await writeFile(
    path.join(dir, 'data/nulls.csv'),
    'id,sensor,reading,count,day\n1,a,1.5,2,2024-01-02\n2,b,NULL,,\n',
  );
  return dir;
}

/** `dativo <args> | <reader>` in a shell; the exit code is dativo's (PIPESTATUS[0]). */
function piped(args: string, reader: string) {
  return spawnSync(
    'bash',
    ['-c', `"${process.execPath}" "${BIN}" ${args} | ${reader}; exit \${PIPESTATUS[0]}`],
    {
      cwd: REPO,
      env: cliEnv(),
      encoding: 'utf8',
    },
  );
}

describe('unknown commands', () => {
  it('`dativo frobnicate` exits 2 naming it and the nearest command', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    expect(r.stderr).toMatch(/the nearest is '\w+'/);
  });

  it('`dativo plugin frobnicate --help` exits 2 naming the subcommand, not the plugin help', async () => {
    const r = await runCli(['plugin', 'frobnicate', '--help']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'plugin frobnicate'");
    expect(r.stderr).toMatch(/the nearest is 'plugin \w+'/);
    expect(r.stdout).toBe('');
  });

  it('`dativo plugin init --help` still prints its help', async () => {
    const r = await runCli(['plugin', 'init', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: dativo plugin init');
  });
});

describe('discover --connector (spec §2), without a job file', () => {
  it('lists the streams a built-in connector offers as one JSON document', async () => {
    const r = await runCli(['discover', '--connector', 'stripe', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.objects.map((o: { name: string }) => o.name)).toEqual(['charges', 'customers', 'invoices']);
    expect(doc.count).toBe(3);
  });

  it('a .py plugin exits 2 pointing at discover --config; an unknown name the nearest one', async () => {
    const py = await runCli(['discover', '--connector', 'plugins/my_reader.py']);
    expect(py.code).toBe(2);
    expect(py.stderr).toContain('dativo discover --config JOB.yaml');
    const typo = await runCli(['discover', '--connector', 'strpe']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('no connector named "strpe" (the nearest is "stripe"');
  });
});

describe('a closed stdout', () => {
  it('`dativo discover --help | head -1` and `| true` exit 0 without a trace', () => {
    const head = piped('discover --help', 'head -1');
    expect(head.status).toBe(0);
    expect(head.stdout).toBe('Usage: dativo discover [options]\n');
    expect(head.stderr).toBe('');
    // A reader that exits before dativo writes: the write always meets a closed pipe.
    const closed = piped('run --help', 'true');
    expect(closed.status).toBe(0);
    expect(closed.stderr).toBe('');
  });
});

describe('--job-dir', () => {
  it('--json over a folder of jobs prints one JSON document', async () => {
    const dir = await project('job-dir');
    await mkdir(path.join(dir, 'batch'));
    for (const f of ['readings_nulls.yaml', 'readings_nulls_literal.yaml'])
      await cp(path.join(dir, 'jobs', f), path.join(dir, 'batch', f));
    const r = await runCli(['run', '--job-dir', 'batch', '--json'], { cwd: dir });
    const doc = JSON.parse(r.stdout); // throws if stdout holds more than one document
    expect(doc.jobs.map((j: { jobFile: string }) => path.basename(j.jobFile))).toEqual([
      'readings_nulls.yaml',
      'readings_nulls_literal.yaml',
    ]);
    expect(doc.jobs.map((j: { exitCode: number }) => j.exitCode)).toEqual([0, 2]);
    expect(doc.summary).toEqual({ jobs: 2, ok: 1, warned: 0, failed: 1 });
    expect(doc.exitCode).toBe(2);
    expect(r.code).toBe(2);
  });

  it('a folder that does not exist exits 2 naming it', async () => {
    const r = await runCli(['run', '--job-dir', 'no/such/folder', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('job folder no/such/folder does not exist');
    expect(r.stderr).not.toContain('INTERNAL');
    expect(JSON.parse(r.stdout).errors[0].code).toBe('CONFIG_NOT_FOUND');
  });
});

describe('an output folder the user cannot write', () => {
  it('exits 2 naming the path and the operation; nothing written, no state', async () => {
    const dir = await project('unwritable');
    const state = path.join(dir, 'state');
    await mkdir(state);
    await mkdir(path.join(dir, 'out'));
    execFileSync('chmod', ['-R', 'a+rX', dir]);
    await chmod(state, 0o777);
    await chmod(path.join(dir, 'out'), 0o555);
    // Root ignores file modes: run as nobody.
    const r = spawnSync(
      'runuser',
      [
        '-u',
        'nobody',
        '--',
        process.execPath,
        BIN,
        'run',
        '--config',
        'jobs/readings_nulls.yaml',
        '--state-dir',
        state,
      ],
      { cwd: dir, env: cliEnv({ HOME: tmp }), encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `cannot create the folder ${path.join(dir, 'out', '_dativo')}: permission denied (EACCES)`,
    );
    expect(r.stderr).not.toContain('INTERNAL');
    expect(await visibleCount(path.join(dir, 'out'))).toBe(0);
    expect(await readdir(path.join(state, 'acme')).catch(() => [])).toEqual([]);
  });
});
