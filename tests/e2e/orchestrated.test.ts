/**
 * `dativo start` through the built CLI: config errors with positions, the API with its token,
 * SIGTERM in the middle of a run — the process exits cleanly and the target holds nothing partial —
 * and its observability: `/metrics` against the run report, traces exported over OTLP/HTTP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCsv } from '../../bench/gen-csv.js';
import { BIN, cliEnv, REPO, runCli } from '../helpers/cli.js';
import { duck, visibleCount } from '../helpers/duckdb.js';

const ROWS = 200_000;
const TOKEN = 'e2e-token-6d0f2b9a';
let tmp: string;
let inDir: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-start-'));
  inDir = path.join(tmp, 'in');
  await mkdir(inDir);
  await generateCsv(path.join(inDir, 'orders.csv'), ROWS, 5);
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function runnerFile(dir: string, extra = ''): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'runner.yaml');
  await writeFile(
    file,
    [
      'runner:',
      '  mode: orchestrated',
      '  orchestrator:',
      '    type: dagster',
      '    concurrency_per_tenant: 1',
      '    schedules:',
      '      - name: orders_hourly',
      `        config: ${path.join(REPO, 'tests/fixtures/jobs/orders.yaml')}`,
      '        cron: "0 * * * *"',
      '        timezone: UTC',
      '        tags: { environment: test }',
      '  api:',
      '    port: 0',
      extra,
    ].join('\n'),
  );
  return file;
}

function env(dir: string, input = inDir) {
  return {
    IN_DIR: input,
    OUT_DIR: path.join(dir, 'out'),
    DATIVO_SECRET__ORCHESTRATOR__ORCHESTRATOR_API_TOKEN: TOKEN,
    // In-process runs: a Redis URL in the environment would send them to workers.
    DATIVO_REDIS_URL: undefined,
  };
}

/** A running `dativo start` and its parsed log lines. */
function startService(
  dir: string,
  runner: string,
  args: string[] = [],
  extraEnv: Record<string, string | undefined> = {},
) {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      BIN,
      'start',
      'orchestrated',
      '--runner-config',
      runner,
      '--state-dir',
      path.join(dir, 'state'),
      ...args,
    ],
    { cwd: REPO, env: cliEnv({ ...env(dir), ...extraEnv }), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  const waiters: {
    pred: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  const lines: Record<string, unknown>[] = [];
  child.stderr!.on('data', (d) => {
    const before = stderr.length;
    stderr += d;
    const complete = stderr
      .slice(stderr.lastIndexOf('\n', before) + 1)
      .split('\n')
      .slice(0, -1);
    for (const text of complete) {
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        for (const w of [...waiters]) if (w.pred(line)) w.resolve(line);
      } catch {
        // not a log line
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const waitLog = (pred: (l: Record<string, unknown>) => boolean, timeoutMs = 120_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const found = lines.find(pred);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`log line not seen; stderr:\n${stderr}`)), timeoutMs);
      waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  return { child, exited, waitLog, stderr: () => stderr, lines };
}

async function listAll(dir: string): Promise<string[]> {
  const out = await readdir(dir, { recursive: true }).catch(() => []);
  return out.map(String).sort();
}

describe('dativo start orchestrated', () => {
  it('a runner config error exits 2 with file:line:column', async () => {
    const dir = path.join(tmp, 'bad');
    const file = await runnerFile(dir, '    bogus: 1');
    const r = await runCli(['start', 'orchestrated', '--runner-config', file], { env: env(dir) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:14:5, key runner.api.bogus: unknown key "bogus"`);
  });

  it('a missing API token refuses to start (exit 2), naming the secret', async () => {
    const dir = path.join(tmp, 'notoken');
    const file = await runnerFile(dir);
    const r = await runCli(['start', '--runner-config', file], {
      env: { ...env(dir), DATIVO_SECRET__ORCHESTRATOR__ORCHESTRATOR_API_TOKEN: undefined },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SECRET_NOT_FOUND');
    expect(r.stderr).toContain('"orchestrator_api_token"');
  });

  it('serves the API with token auth; SIGTERM mid-run exits cleanly with nothing partial; a rerun completes', async () => {
    const dir = path.join(tmp, 'sigterm');
    const file = await runnerFile(dir);
    const svc = startService(dir, file, ['--grace-period', '0']);
    const listening = await svc.waitLog((l) => l.event_type === 'api_listening');
    const url = String(listening.url);
    const call = (p: string, method = 'GET', token: string | null = TOKEN) =>
      fetch(`${url}${p}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });

    expect((await call('/health', 'GET', null)).status).toBe(200);
    expect((await call('/runs', 'GET', null)).status).toBe(401);
    expect((await call('/schedules', 'GET', 'wrong')).status).toBe(401);
    const schedules = (await (await call('/schedules')).json()) as {
      schedules: { name: string; tenant: string }[];
    };
    expect(schedules.schedules.map((s) => [s.name, s.tenant])).toEqual([['orders_hourly', 'test_tenant']]);

    const trig = await call('/schedules/orders_hourly/trigger', 'POST');
    expect(trig.status).toBe(202);
    const runId = ((await trig.json()) as { run: { id: string } }).run.id;
    await svc.waitLog((l) => l.event_type === 'job_started');
    svc.child.kill('SIGTERM');
    const exit = await svc.exited;
    expect(exit, svc.stderr()).toEqual({ code: 0, signal: null });
    expect(svc.stderr()).not.toContain(TOKEN);
    const finished = svc.lines.find((l) => l.event_type === 'run_finished' && l.run_id === runId);
    expect(finished, svc.stderr()).toBeDefined();
    expect(svc.lines.some((l) => l.event_type === 'orchestrator_stopped')).toBe(true);

    const out = path.join(dir, 'out');
    const commits = await readdir(path.join(out, '_dativo', 'commits')).catch(() => []);
    const stateFiles = (await listAll(path.join(dir, 'state'))).filter((f) => f.endsWith('.json'));
    console.log(`SIGTERM mid-run: the run ended ${String(finished?.state)}`);
    if (finished?.state === 'interrupted') {
      // Interrupted: nothing visible, no commit record, no state written, no lock left behind.
      expect(commits).toEqual([]);
      expect(await visibleCount(out)).toBe(0);
      expect(stateFiles).toEqual([]);
    } else {
      // The commit record was already written when the signal came: the run completed in full.
      expect(finished?.state).toBe('succeeded');
      expect(await visibleCount(out)).toBe(ROWS);
      expect(stateFiles.length).toBe(1);
    }
    expect((await listAll(path.join(dir, 'state'))).filter((f) => f.endsWith('.lock'))).toEqual([]);

    // One pass of every schedule: the job picks up from the committed state, every row exactly once.
    const again = await runCli(
      ['start', 'oneshot', '--runner-config', file, '--state-dir', path.join(dir, 'state'), '--json'],
      { env: env(dir) },
    );
    expect(again.code, again.stderr).toBe(0);
    const runs = JSON.parse(again.stdout).runs as { state: string; attempts: unknown[] }[];
    expect(runs.map((r) => r.state)).toEqual([
      finished?.state === 'interrupted' ? 'succeeded' : 'nothing_new',
    ]);
    const [row] = await duck<{ n: bigint; d: bigint }>(
      `SELECT count(*) AS n, count(DISTINCT order_id) AS d FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect(Number(row?.n)).toBe(ROWS);
    expect(Number(row?.d)).toBe(ROWS);
    expect((await listAll(path.join(dir, 'state'))).filter((f) => f.endsWith('.json'))).toHaveLength(1);
  });

  it('with a grace period, a run in progress at SIGTERM finishes and commits before the exit', async () => {
    const dir = path.join(tmp, 'graceful');
    const file = await runnerFile(dir);
    const svc = startService(dir, file, ['--grace-period', '120']);
    const url = String((await svc.waitLog((l) => l.event_type === 'api_listening')).url);
    const trig = await fetch(`${url}/schedules/orders_hourly/trigger`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(trig.status).toBe(202);
    await svc.waitLog((l) => l.event_type === 'job_started');
    svc.child.kill('SIGTERM');
    expect(await svc.exited).toEqual({ code: 0, signal: null });
    const finished = svc.lines.find((l) => l.event_type === 'run_finished');
    expect(finished?.state).toBe('succeeded');
    expect(await visibleCount(path.join(dir, 'out'))).toBe(ROWS);
  });

  it('in-process: /metrics (behind the token) matches the run report; the run is exported as an OTLP trace', async () => {
    const dir = path.join(tmp, 'observed');
    const small = path.join(dir, 'in');
    await mkdir(small, { recursive: true });
    await generateCsv(path.join(small, 'orders.csv'), 2500, 9);
    const file = await runnerFile(dir);

    // A stand-in OTLP/HTTP collector: the exporter posts JSON to /v1/traces.
    const posts: { path: string; body: string }[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        posts.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
    const otlp = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;

    const svc = startService(dir, file, ['--otlp-endpoint', otlp], { IN_DIR: small });
    const url = String((await svc.waitLog((l) => l.event_type === 'api_listening')).url);
    const call = (p: string, method = 'GET', token: string | null = TOKEN) =>
      fetch(`${url}${p}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await call('/metrics', 'GET', null)).status).toBe(401);

    const trig = await call('/schedules/orders_hourly/trigger', 'POST');
    expect(trig.status).toBe(202);
    const runId = ((await trig.json()) as { run: { id: string } }).run.id;
    await svc.waitLog((l) => l.event_type === 'run_finished' && l.run_id === runId);
    // biome-ignore lint/suspicious/noExplicitAny: the test reads report fields
    const run = (await (await call(`/runs/${runId}`)).json()) as any;
    expect(run.state).toBe('succeeded');
    const report = run.attempts[0].report;
    expect(report.rows.written).toBe(2500);

    const metrics = await call('/metrics');
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    const l = { tenant: 'test_tenant', job: report.job };
    expect(promSample(text, 'dativo_runs_total', { ...l, status: 'succeeded' })).toBe(1);
    expect(promSample(text, 'dativo_rows_read_total', l)).toBe(report.rows.read);
    expect(promSample(text, 'dativo_rows_written_total', l)).toBe(2500);
    expect(promSample(text, 'dativo_bytes_written_total', l)).toBe(report.bytes.written);
    expect(promSample(text, 'dativo_files_written_total', l)).toBe(report.files.length);
    const sl = { schedule: 'orders_hourly', tenant: 'test_tenant' };
    expect(
      promSample(text, 'dativo_scheduler_runs_total', { ...sl, trigger: 'manual', outcome: 'queued' }),
    ).toBe(1);
    expect(promSample(text, 'dativo_scheduler_runs_finished_total', { ...sl, state: 'succeeded' })).toBe(1);
    expect(promSample(text, 'dativo_active_runs', { tenant: 'test_tenant' })).toBe(0);
    expect(text).toContain('dativo_process_cpu_seconds_total');

    // Spans are flushed when the service stops.
    svc.child.kill('SIGTERM');
    expect(await svc.exited).toEqual({ code: 0, signal: null });
    await new Promise<void>((r) => collector.close(() => r()));
    expect(posts.length).toBeGreaterThanOrEqual(1);
    expect(posts.every((p) => p.path === '/v1/traces')).toBe(true);
    const spans = posts.flatMap((p) =>
      (JSON.parse(p.body).resourceSpans ?? []).flatMap((rs: { scopeSpans: { spans: unknown[] }[] }) =>
        rs.scopeSpans.flatMap((ss) => ss.spans),
      ),
    ) as { name: string; attributes: { key: string; value: { stringValue?: string } }[] }[];
    const names = new Set(spans.map((s) => s.name));
    for (const n of ['dativo.run', 'dativo.open', 'dativo.extract', 'dativo.commit'])
      expect(names).toContain(n);
    const runSpan = spans.find((s) => s.name === 'dativo.run');
    const attr = (k: string) => runSpan?.attributes.find((a) => a.key === k)?.value.stringValue;
    expect(attr('dativo.run_id')).toBe(report.runId);
    expect(attr('dativo.status')).toBe('succeeded');
  });
});

/** One series of Prometheus text (matching series summed); undefined when absent. */
function promSample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const x of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[x[1] as string] = x[2] as string;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) total = (total ?? 0) + Number(m[3]);
  }
  return total;
}
