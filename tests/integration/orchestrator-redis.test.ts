/**
 * The whole scale-out path through the built CLI: `dativo start orchestrated` with a runner config
 * whose `queue:` section names the queue and `--redis` pointing at the real redis-server (the flag
 * wins over the section's URL), and one `dativo worker` child process reading that queue.
 * An interval schedule fires every 2 s; the worker runs each firing into a local target; the API
 * shows the runs with their reports; both processes' `/metrics` are scraped and their counters
 * match the reports (the worker's run counters) and the run records (the scheduler's counters).
 *
 * No timing assertions: the test waits for states (with generous timeouts on a loaded machine) and
 * compares counters only at a moment when both processes agree the set of finished runs is stable.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../host/orchestrator/runs.js';
import { BIN, cliEnv, REPO } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';
import {
  buildCli,
  sample,
  spawnWorker,
  startRedis,
  type WorkerProcess,
  writeJobs,
} from './workers-harness.js';

const TOKEN = `it-token-${randomBytes(6).toString('hex')}`;
const ROWS = 3000;
const queueName = `dativo-orch-${randomBytes(4).toString('hex')}`;
let redisUrl: string;
let tmp: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  buildCli();
  redisUrl = startRedis();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-orch-redis-'));
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `dativo start` as a child, with its JSON log lines. */
function spawnStart(args: string[], env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, [BIN, 'start', ...args], {
    cwd: REPO,
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', () => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const logLines = () =>
    stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  return { child, exited, stderr: () => stderr, logLines };
}

/** Poll `fn` until it returns a value (not undefined); fail with `what` after `timeoutMs`. */
async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

interface Snapshot {
  runs: RunRecord[];
  start: string;
  worker: string;
}

/** The worker's run counters, summed from the attempts' reports. */
function expectedWorker(runs: RunRecord[]) {
  const reports = runs.flatMap((r) => r.attempts.flatMap((a) => (a.report ? [a.report] : [])));
  const byStatus = new Map<string, number>();
  for (const r of reports) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  return {
    runs: reports.length,
    byStatus,
    rowsRead: reports.reduce((n, r) => n + r.rows.read, 0),
    rowsWritten: reports.reduce((n, r) => n + r.rows.written, 0),
    bytesWritten: reports.reduce((n, r) => n + r.bytes.written, 0),
    files: reports.reduce((n, r) => n + r.files.length, 0),
  };
}

describe('dativo start orchestrated + dativo worker on Redis', () => {
  it('a 2 s interval schedule runs on the worker; the API shows the reports; both /metrics match them', async () => {
    const out = path.join(tmp, 'out');
    const jobs = await writeJobs(path.join(tmp, 'jobs'), { count: 1, rows: ROWS, prefix: '', localDir: out });
    const jobFile = jobs.files[0] as string;
    const runnerFile = path.join(tmp, 'runner.yaml');
    await writeFile(
      runnerFile,
      [
        'runner:',
        '  mode: orchestrated',
        '  orchestrator:',
        '    type: dagster',
        '    concurrency_per_tenant: 1',
        '    shutdown_grace_seconds: 120',
        '    schedules:',
        '      - name: rows_every_2s',
        `        config: ${jobFile}`,
        '        interval_seconds: 2',
        '        tags: { environment: test }',
        '  api:',
        '    port: 0',
        // The section names the queue; the URL in it is wrong on purpose: `--redis` overrides it.
        '  queue:',
        '    redis: redis://127.0.0.1:1',
        `    name: ${queueName}`,
        '',
      ].join('\n'),
    );

    const svc = spawnStart(
      [
        'orchestrated',
        '--runner-config',
        runnerFile,
        '--redis',
        redisUrl,
        '--state-dir',
        path.join(tmp, 'state-start'),
      ],
      {
        DATIVO_REDIS_URL: undefined,
        DATIVO_SECRET__ORCHESTRATOR__ORCHESTRATOR_API_TOKEN: TOKEN,
      },
    );
    const api = await until('the API to listen', async () => {
      if (svc.child.exitCode !== null) throw new Error(`start exited:\n${svc.stderr()}`);
      const l = svc.logLines().find((x) => x.event_type === 'api_listening');
      return l ? String(l.url) : undefined;
    }).catch((e) => {
      throw new Error(`${(e as Error).message}\n${svc.stderr()}`);
    });
    const call = (p: string, token: string | null = TOKEN) =>
      fetch(`${api}${p}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

    const ready = (await (await call('/ready')).json()) as { executor: string };
    expect(ready.executor).toBe('queue');

    const worker: WorkerProcess = spawnWorker(
      [
        '--redis',
        redisUrl,
        '--queue',
        queueName,
        '--name',
        'worker-1',
        '--state-dir',
        path.join(tmp, 'state-worker'),
        '--metrics-port',
        '0',
        '--metrics-host',
        '127.0.0.1',
      ],
      {},
    );
    children.push(worker.child);
    const workerMetrics = await worker.metricsUrl();

    // The first run writes every row; later firings find nothing new. Wait for one of each.
    const runs = await until('a succeeded run and a later finished one', async () => {
      const body = (await (await call('/runs?limit=1000')).json()) as { runs: RunRecord[] };
      const ok = body.runs.find((r) => r.state === 'succeeded');
      const later = body.runs.find((r) => r.state === 'nothing_new');
      return ok && later ? body.runs : undefined;
    }).catch((e) => {
      throw new Error(
        `${(e as Error).message}\nstart:\n${svc.stderr().slice(-4000)}\nworker:\n${worker.stderr().slice(-4000)}`,
      );
    });

    // The API shows the run with its report, run by the worker.
    const succeeded = runs.find((r) => r.state === 'succeeded') as RunRecord;
    const one = (await (await call(`/runs/${succeeded.id}`)).json()) as RunRecord;
    expect(one.schedule).toBe('rows_every_2s');
    expect(one.trigger).toBe('schedule');
    expect(one.tenant).toBe('acme');
    expect(one.tags).toEqual({ environment: 'test' });
    const report = one.attempts.at(-1)?.report;
    expect(report?.status).toBe('succeeded');
    expect(report?.rows.written).toBe(ROWS);
    expect(report?.files.length).toBeGreaterThanOrEqual(1);
    expect(worker.stderr()).toContain('"event_type":"queue_job_completed"');
    const schedules = (await (await call('/schedules')).json()) as {
      schedules: { name: string; intervalSeconds: number; tenant: string }[];
    };
    expect(schedules.schedules.map((s) => [s.name, s.intervalSeconds, s.tenant])).toEqual([
      ['rows_every_2s', 2, 'acme'],
    ]);

    // /metrics of start: behind the token.
    expect((await call('/metrics', null)).status).toBe(401);

    // A moment when nothing changes between two reads of both processes: then the counters must
    // match the records exactly (between a worker finishing and start hearing of it they differ).
    let last: Snapshot | undefined;
    const snap = async (): Promise<Snapshot> => {
      const w = await (await fetch(workerMetrics)).text();
      const body = (await (await call('/runs?limit=1000')).json()) as { runs: RunRecord[] };
      const s = await (await call('/metrics')).text();
      return { runs: body.runs, start: s, worker: w };
    };
    const key = (x: Snapshot) =>
      JSON.stringify([
        x.runs.map((r) => [r.id, r.state, r.attempts.length]),
        sample(x.worker, 'dativo_runs_total'),
        sample(x.start, 'dativo_scheduler_runs_finished_total'),
      ]);
    const matches = (x: Snapshot) => {
      const e = expectedWorker(x.runs);
      return (
        sample(x.worker, 'dativo_runs_total') === e.runs &&
        sample(x.start, 'dativo_scheduler_runs_finished_total') ===
          x.runs.filter((r) => r.finishedAt && r.state !== 'skipped').length
      );
    };
    const stable = await until(
      'a stable moment',
      async () => {
        const a = await snap();
        const b = await snap();
        last = b;
        return key(a) === key(b) && matches(b) ? b : undefined;
      },
      180_000,
    ).catch((e) => {
      throw new Error(`${(e as Error).message}\nlast snapshot:\n${last ? key(last) : 'none'}`);
    });

    const states = new Map<string, number>();
    for (const r of stable.runs) states.set(r.state, (states.get(r.state) ?? 0) + 1);
    const first = stable.runs.find((r) => r.state === 'succeeded')?.attempts[0];
    console.log(
      `orchestrator + worker: ${stable.runs.length} run(s) by state ${JSON.stringify(Object.fromEntries(states))}; ` +
        `first run ${first?.report?.rows.written} rows in ${first?.report?.durationsMs.total} ms (pipeline), ` +
        `${first?.startedAt} → ${first?.finishedAt} (queued → result back in start)`,
    );

    // The worker's run counters are the sums of the reports of the runs it executed.
    const e = expectedWorker(stable.runs);
    const w = stable.worker;
    const l = { tenant: 'acme', job: report?.job ?? '' };
    expect(sample(w, 'dativo_runs_total', l)).toBe(e.runs);
    for (const [status, n] of e.byStatus) expect(sample(w, 'dativo_runs_total', { ...l, status })).toBe(n);
    expect(sample(w, 'dativo_rows_read_total', l)).toBe(e.rowsRead);
    expect(sample(w, 'dativo_rows_written_total', l)).toBe(e.rowsWritten);
    expect(e.rowsWritten).toBe(ROWS);
    expect(sample(w, 'dativo_bytes_written_total', l)).toBe(e.bytesWritten);
    expect(sample(w, 'dativo_files_written_total', l)).toBe(e.files);
    expect(w).toContain('dativo_process_cpu_seconds_total');

    // The scheduler's counters are the run records; start executed nothing itself (no run counters).
    const s = stable.start;
    const rs = stable.runs;
    const sl = { schedule: 'rows_every_2s', tenant: 'acme' };
    expect(sample(s, 'dativo_scheduler_runs_total', { ...sl, outcome: 'queued' })).toBe(
      rs.filter((r) => r.state !== 'skipped').length,
    );
    expect(sample(s, 'dativo_scheduler_runs_total', { ...sl, outcome: 'skipped' }) ?? 0).toBe(
      rs.filter((r) => r.state === 'skipped').length,
    );
    for (const state of ['succeeded', 'nothing_new', 'failed']) {
      expect(sample(s, 'dativo_scheduler_runs_finished_total', { ...sl, state }) ?? 0).toBe(
        rs.filter((r) => r.state === state).length,
      );
    }
    for (const state of ['queued', 'running', 'retry_wait']) {
      expect(sample(s, 'dativo_scheduler_active_runs', { ...sl, state }) ?? 0).toBe(
        rs.filter((r) => r.state === state).length,
      );
    }
    expect(sample(s, 'dativo_runs_total') ?? 0).toBe(0);
    expect(s).toContain('dativo_process_cpu_seconds_total');

    // Stop start first (running runs finish within the grace period), then the worker.
    svc.child.kill('SIGTERM');
    expect(await svc.exited, svc.stderr().slice(-4000)).toEqual({ code: 0, signal: null });
    expect(svc.stderr()).not.toContain(TOKEN);
    worker.child.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);

    // Every row exactly once in the target, however many times the schedule fired.
    const [row] = await duck<{ n: bigint; d: bigint }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS d FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect(Number(row?.n)).toBe(ROWS);
    expect(Number(row?.d)).toBe(ROWS);
  }, 600_000);
});
