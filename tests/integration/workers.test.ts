/**
 * Scale-out on Redis: `dativo worker` child processes (the built CLI) take runs queued by the queue
 * executor and write to radosgw. A worker killed mid-run (a real SIGKILL) is recovered by BullMQ's
 * stalled check on the other worker, and DuckDB counts every row exactly once.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptResult } from '../../host/orchestrator/executor.js';
import { createQueueExecutor, jobIdOf, type QueueExecutor } from '../../host/orchestrator/queue.js';
import type { RunReport } from '../../host/pipeline/report.js';
import { reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';
import { clearPrefix, download, JOB_BUCKET, listKeys, type Rgw, startRgw } from './s3-sink/radosgw.js';
import {
  buildCli,
  request,
  sample,
  spawnWorker,
  startRedis,
  type WorkerProcess,
  writeJobs,
} from './workers-harness.js';

let redisUrl: string;
let rgw: Rgw;
let tmp: string;
let executor: QueueExecutor;
let events: QueueEvents;
const queueName = `dativo-test-${randomBytes(4).toString('hex')}`;
const tag = randomBytes(4).toString('hex');
const stalled: string[] = [];
const workers: WorkerProcess[] = [];

function workerArgs(name: string, extra: string[] = []): string[] {
  return [
    '--redis',
    redisUrl,
    '--queue',
    queueName,
    '--name',
    name,
    '--state-dir',
    path.join(tmp, `state-${name}`),
    '--lock-duration',
    '5000',
    '--metrics-port',
    '0',
    '--metrics-host',
    '127.0.0.1',
    ...extra,
  ];
}

function start(name: string, extra: string[] = [], env: Record<string, string> = {}): WorkerProcess {
  const w = spawnWorker(workerArgs(name, extra), { ...rgw.env, ...env });
  workers.push(w);
  return w;
}

async function rowsUnder(prefix: string): Promise<{ n: number; d: number }> {
  const dir = await download(rgw.client, JOB_BUCKET, prefix);
  const [r] = await duck<{ n: bigint; d: bigint }>(
    `SELECT count(*) AS n, count(DISTINCT id) AS d FROM read_parquet('${dir}/**/*.parquet')`,
  );
  await rm(dir, { recursive: true, force: true });
  return { n: Number(r?.n), d: Number(r?.d) };
}

beforeAll(async () => {
  buildCli();
  redisUrl = startRedis();
  rgw = await startRgw();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-workers-'));
  executor = await createQueueExecutor({ redis: redisUrl, queueName, pollMs: 1000 });
  events = new QueueEvents(queueName, { connection: { url: redisUrl }, prefix: 'dativo' });
  events.on('stalled', ({ jobId }) => stalled.push(jobId));
  await events.waitUntilReady();
});

afterAll(async () => {
  for (const w of workers)
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await events?.close();
  await executor?.queue.obliterate({ force: true }).catch(() => {});
  await executor?.close();
  rgw?.client.destroy();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('dativo worker on Redis (BullMQ) → radosgw', () => {
  it('two workers, 20 queued runs, one SIGKILLed mid-run: every row exactly once; /metrics matches the reports', async () => {
    const prefix = `workers/${tag}/kill/`;
    await clearPrefix(rgw.client, JOB_BUCKET, prefix);
    const jobs = await writeJobs(path.join(tmp, 'kill'), { count: 20, rows: 40_000, prefix });
    const a = start('worker-a', ['--concurrency', '2']);
    const b = start('worker-b', ['--concurrency', '2']);
    await Promise.all([a.waitFor('ready'), b.waitFor('ready')]);

    const handles = await Promise.all(jobs.files.map((f) => executor.submit(request(f))));
    // Kill worker A while it is inside a run (after the pipeline started, before it finished).
    await a.waitFor('"event_type":"job_started"');
    await new Promise((r) => setTimeout(r, 300));
    const killedWhileRunning = !a.stderr().includes('"event_type":"queue_job_completed"');
    a.child.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');

    const results: AttemptResult[] = await Promise.all(handles.map((h) => h.result));
    expect(
      results.map((r) => r.exitCode),
      JSON.stringify(results.filter((r) => r.exitCode !== 0).map((r) => r.errors)),
    ).toEqual(results.map(() => 0));
    // A's runs were recovered by B's stalled check (at least the one it was killed in).
    if (killedWhileRunning) expect(stalled.length).toBeGreaterThanOrEqual(1);
    expect(b.stderr()).toContain('queue_job_stalled');

    expect(await rowsUnder(prefix)).toEqual({ n: jobs.totalRows, d: jobs.totalRows });
    const keys = await listKeys(rgw.client, JOB_BUCKET, prefix);
    expect(keys.filter((k) => k.includes('/_dativo/staging/'))).toEqual([]);

    // /metrics of B: its counters are the sums of the reports of the runs B executed.
    const byB: RunReport[] = [];
    for (const [i, h] of handles.entries()) {
      const job = await executor.queue.getJob(jobIdOf(h.runKey));
      const report = results[i]?.report;
      if (job?.processedBy === 'worker-b' && report) byB.push(report);
    }
    expect(byB.length).toBeGreaterThanOrEqual(1);
    const text = await (await fetch(await b.metricsUrl())).text();
    const sum = (f: (r: RunReport) => number) => byB.reduce((n, r) => n + f(r), 0);
    expect(sample(text, 'dativo_runs_total')).toBe(byB.length);
    expect(sample(text, 'dativo_rows_read_total')).toBe(sum((r) => r.rows.read));
    expect(sample(text, 'dativo_rows_written_total')).toBe(sum((r) => r.rows.written));
    expect(sample(text, 'dativo_bytes_written_total')).toBe(sum((r) => r.bytes.written));
    expect(sample(text, 'dativo_files_written_total')).toBe(sum((r) => r.files.length));
    for (const r of byB) {
      expect(sample(text, 'dativo_rows_written_total', { tenant: 'acme', job: r.job })).toBe(r.rows.written);
    }
    expect(sample(text, 'dativo_active_runs')).toBe(0);
    expect(text).toContain('dativo_process_cpu_seconds_total');

    b.child.kill('SIGTERM');
    expect((await b.exited).code).toBe(0);
  }, 600_000);

  it('a worker killed right after the commit record: the next worker rolls the commit forward, rows once', async () => {
    const prefix = `workers/${tag}/after-record/`;
    await clearPrefix(rgw.client, JOB_BUCKET, prefix);
    const jobs = await writeJobs(path.join(tmp, 'after-record'), { count: 1, rows: 5000, prefix });
    const c = start('worker-c', [], { DATIVO_TEST_CRASH_AT: 'after-record' });
    await c.waitFor('ready');
    const [handle] = await Promise.all(jobs.files.map((f) => executor.submit(request(f))));
    expect((await c.exited).signal).toBe('SIGKILL');
    const d = start('worker-d');
    const result = await handle?.result;
    expect(result?.exitCode, JSON.stringify(result?.errors)).toBe(0);
    expect(result?.report?.recovery?.rolledForward).toHaveLength(1);
    expect(result?.report?.status).toBe('nothing_new');
    expect(await rowsUnder(prefix)).toEqual({ n: 5000, d: 5000 });
    d.child.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
  });

  it('dativo run --metrics-file writes a textfile whose counters match the run report', async () => {
    const prefix = `workers/${tag}/textfile/`;
    await clearPrefix(rgw.client, JOB_BUCKET, prefix);
    const jobs = await writeJobs(path.join(tmp, 'textfile'), { count: 1, rows: 1234, prefix });
    const file = path.join(tmp, 'textfile', 'dativo.prom');
    const r = await runCli(
      ['run', '--config', jobs.files[0] as string, '--json', '--state-dir', path.join(tmp, 'state-run')],
      { env: { ...rgw.env, DATIVO_METRICS_FILE: file } },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = reportOf(r) as RunReport;
    const text = await readFile(file, 'utf8');
    const l = { tenant: 'acme', job: report.job };
    expect(sample(text, 'dativo_rows_written_total', l)).toBe(1234);
    expect(sample(text, 'dativo_rows_read_total', l)).toBe(report.rows.read);
    expect(sample(text, 'dativo_bytes_written_total', l)).toBe(report.bytes.written);
    expect(sample(text, 'dativo_files_written_total', l)).toBe(report.files.length);
    expect(sample(text, 'dativo_runs_total', { ...l, status: 'succeeded' })).toBe(1);
  });
});
