/**
 * One PostgreSQL store shared by processes that share nothing else (each its own state dir, as on
 * two machines), through the built CLI:
 * - two `dativo run`s racing for one job: the store's advisory lock lets exactly one run it; the
 *   other fails with STATE_LOCKED and the target holds every row once;
 * - two `dativo worker`s on two state dirs record ONE history: `dativo runs list` from either state
 *   dir lists the runs of both, and a worker restarted on the same store adds to it.
 */

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCsv } from '../../../bench/gen-csv.js';
import { createQueueExecutor, type QueueExecutor } from '../../../host/orchestrator/queue.js';
import type { RunEntry } from '../../../host/store/types.js';
import { BIN, cliEnv, REPO, runCli } from '../../helpers/cli.js';
import { visibleCount } from '../../helpers/duckdb.js';
import { startService } from '../databases/harness.js';
import {
  buildCli,
  request,
  spawnWorker,
  startRedis,
  type WorkerProcess,
  writeJobs,
} from '../workers-harness.js';

let env: Record<string, string>;
let admin: pg.Client;
let tmp: string;
const created: string[] = [];
const workers: WorkerProcess[] = [];
const executors: QueueExecutor[] = [];

function urlOf(db: string): string {
  return `postgres://${env.PGUSER}:${env.PGPASSWORD}@${env.PGHOST}:${env.PGPORT}/${db}`;
}

async function freshStore(): Promise<{ url: string; db: pg.Client }> {
  const name = `dativo_shared_${randomBytes(5).toString('hex')}`;
  await admin.query(`create database ${name}`);
  created.push(name);
  const db = new pg.Client({ connectionString: urlOf(name) });
  // Dropped with (force) at the end, possibly while this client is still open after a failure.
  db.on('error', () => {});
  await db.connect();
  return { url: urlOf(name), db };
}

async function runsFrom(stateDir: string, store: string): Promise<RunEntry[]> {
  const r = await runCli(['runs', 'list', '--state-dir', stateDir, '--store', store, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { runs: RunEntry[] }).runs;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  buildCli();
  env = startService('postgres');
  admin = new pg.Client({ connectionString: urlOf(env.PGDATABASE ?? 'postgres') });
  await admin.connect();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-shared-store-'));
});
afterAll(async () => {
  for (const w of workers)
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  for (const e of executors) {
    await e.queue.obliterate({ force: true }).catch(() => {});
    await e.close();
  }
  for (const db of created) await admin.query(`drop database if exists ${db} with (force)`);
  await admin?.end();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('a job lock in the shared Postgres store', () => {
  it('two dativo run on two state dirs race for one job: exactly one runs it, the other fails STATE_LOCKED', async () => {
    const { url, db } = await freshStore();
    const dir = path.join(tmp, 'race');
    await mkdir(path.join(dir, 'in'), { recursive: true });
    const ROWS = 100_000;
    await generateCsv(path.join(dir, 'in', 'orders.csv'), ROWS, 7);
    const spawnRun = (name: string) => {
      const child = spawn(
        process.execPath,
        [
          BIN,
          'run',
          '--config',
          'tests/fixtures/jobs/orders.yaml',
          '--state-dir',
          path.join(dir, `state-${name}`),
          '--store',
          url,
        ],
        {
          cwd: REPO,
          env: cliEnv({ IN_DIR: path.join(dir, 'in'), OUT_DIR: path.join(dir, 'out') }),
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr?.on('data', (d) => (stderr += d));
      const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      return { child, exit, stderr: () => stderr };
    };
    const runs = [spawnRun('a'), spawnRun('b')];

    // Whoever takes the store lock first is frozen while it holds it, so the other meets the lock
    // whatever the two processes' speeds (the lock row names its holder as host:pid).
    let holderPid: number | undefined;
    for (let i = 0; i < 1200 && holderPid === undefined; i++) {
      const { rows } = await db
        .query<{ holder: string }>('select holder from dativo_job_locks')
        .catch(() => ({ rows: [] as { holder: string }[] }));
      if (rows[0]) holderPid = Number(rows[0].holder.split(':').at(-1));
      else await sleep(25);
    }
    const winner = runs.find((r) => r.child.pid === holderPid);
    const loser = runs.find((r) => r.child.pid !== holderPid);
    expect(winner, 'a run took the store lock').toBeDefined();
    winner!.child.kill('SIGSTOP');
    const loserCode = await loser!.exit.finally(() => winner!.child.kill('SIGCONT'));
    expect(loserCode).toBe(2);
    expect(loser!.stderr()).toContain('STATE_LOCKED');
    expect(loser!.stderr()).toMatch(
      /another run of this job is in progress: the lock dativo:lock:test_tenant\//,
    );
    // The store is named without its password.
    expect(loser!.stderr()).toContain(`postgres://${env.PGUSER}:***@`);
    expect(loser!.stderr()).not.toContain(`${env.PGUSER}:${env.PGPASSWORD}@`);
    expect(await winner!.exit, winner!.stderr()).toBe(0);
    expect(await visibleCount(path.join(dir, 'out'))).toBe(ROWS);

    // Both runs are in the one history, whichever state dir asks.
    for (const name of ['a', 'b']) {
      const listed = await runsFrom(path.join(dir, `state-${name}`), url);
      expect(listed.map((r) => r.status).sort()).toEqual(['failed', 'succeeded']);
      expect(listed.find((r) => r.status === 'failed')?.errorCode).toBe('STATE_LOCKED');
      expect(listed.find((r) => r.status === 'succeeded')?.rows.written).toBe(ROWS);
    }
    // The lock was released: a third run takes it and finds nothing new.
    const third = await runCli(
      [
        'run',
        '--config',
        'tests/fixtures/jobs/orders.yaml',
        '--state-dir',
        path.join(dir, 'state-c'),
        '--store',
        url,
      ],
      { env: { IN_DIR: path.join(dir, 'in'), OUT_DIR: path.join(dir, 'out') } },
    );
    expect(third.code, third.stderr).toBe(0);
    expect(await visibleCount(path.join(dir, 'out'))).toBe(ROWS);
    await db.end();
  });
});

describe('two workers, two state dirs, one Postgres store', () => {
  it('show one history, also after a worker restarts', async () => {
    const { url, db } = await freshStore();
    await db.end();
    const redisUrl = startRedis();
    const dir = path.join(tmp, 'workers');
    const jobs = await writeJobs(dir, { count: 5, rows: 200, prefix: '', localDir: path.join(dir, 'out') });
    // A queue per worker, so each surely runs some of the jobs.
    const queues = ['a', 'b'].map((n) => `dativo-shared-${n}-${randomBytes(3).toString('hex')}`);
    for (const q of queues)
      executors.push(await createQueueExecutor({ redis: redisUrl, queueName: q, pollMs: 300 }));
    const startWorker = (i: number) => {
      const w = spawnWorker(
        [
          '--redis',
          redisUrl,
          '--queue',
          queues[i] as string,
          '--name',
          `worker-${i}`,
          '--state-dir',
          path.join(dir, `state-${i}`),
          '--store',
          url,
        ],
        {},
      );
      workers.push(w);
      return w;
    };
    const submit = async (i: number, file: string) => {
      const handle = await executors[i]!.submit(request(file));
      const result = await handle.result;
      expect(result.exitCode, JSON.stringify(result.errors)).toBe(0);
    };
    const w0 = startWorker(0);
    const w1 = startWorker(1);
    await Promise.all([w0.waitFor('ready'), w1.waitFor('ready')]);
    await Promise.all([
      submit(0, jobs.files[0]!),
      submit(0, jobs.files[1]!),
      submit(1, jobs.files[2]!),
      submit(1, jobs.files[3]!),
    ]);

    const fromA = await runsFrom(path.join(dir, 'state-0'), url);
    const fromB = await runsFrom(path.join(dir, 'state-1'), url);
    expect(fromA.map((r) => r.id).sort()).toEqual(fromB.map((r) => r.id).sort());
    expect(fromA.map((r) => r.job).sort()).toEqual(jobs.names.slice(0, 4));
    expect(fromA.every((r) => r.origin === 'worker' && r.status === 'succeeded')).toBe(true);
    expect(fromA.reduce((n, r) => n + r.rows.written, 0)).toBe(800);
    const hostsOf = (runs: RunEntry[]) => new Set(runs.map((r) => Number(r.host.split(':').at(-1))));
    expect(hostsOf(fromA)).toEqual(new Set([w0.child.pid, w1.child.pid]));

    // Worker 0 restarts on the same state dir and store: the history keeps the four runs and adds one.
    w0.child.kill('SIGTERM');
    expect((await w0.exited).code).toBe(0);
    const again = startWorker(0);
    await again.waitFor('ready');
    await submit(0, jobs.files[4]!);
    const after = await runsFrom(path.join(dir, 'state-1'), url);
    expect(after).toHaveLength(5);
    expect(after.map((r) => r.id)).toEqual(expect.arrayContaining(fromA.map((r) => r.id)));
    expect(hostsOf(after)).toEqual(new Set([w0.child.pid, w1.child.pid, again.child.pid]));
    for (const w of [again, w1]) w.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
    expect((await w1.exited).code).toBe(0);
  });
});
