/**
 * `dativo start` with a `notifications:` section, through the built CLI, against a local HTTP
 * receiver that fails the first delivery of every event: each failed run arrives exactly once
 * (the retry is not a second event), a schedule with no success for 2 x its interval sends ONE
 * stale event, and the webhook URL (a secret, by reference) never shows in the output. The run
 * history is in the state dir's store and survives a restart of `start`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEntry } from '../../host/store/types.js';
import { BIN, cliEnv, runCli } from '../helpers/cli.js';
import { copyQuickstart } from '../helpers/quickstart-copy.js';

/** Part of the webhook URL: it must never appear in the output. */
const HOOK_KEY = 'hook-key-9c41d7e2b0';
let dir: string;
let server: Server;
let hookUrl: string;
const attempts = new Map<string, number>();
const accepted: { key: string; body: Record<string, unknown>; auth?: string }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-notify-'));
  await copyQuickstart(dir);
  await writeFile(
    path.join(dir, 'runner.yaml'),
    [
      'runner:',
      '  orchestrator:',
      '    shutdown_grace_seconds: 30',
      '    schedules:',
      '      - name: broken_often',
      `        config: ${path.join(dir, 'broken.yaml')}`,
      '        interval_seconds: 2',
      '  api: { enabled: false }',
      '  notifications:',
      '    stale_after_intervals: 2',
      '    attempts: 3',
      '    webhooks:',
      '      - url_secret: ops_webhook_url',
      '        token_secret: ops_webhook_token',
      '        events: [failed, stale]',
      '',
    ].join('\n'),
  );

  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key']);
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      // The first delivery of every event fails: the notifier must retry, not send it twice.
      if (n === 1) return res.writeHead(503).end();
      accepted.push({ key, body: JSON.parse(body), auth: req.headers.authorization });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/${HOOK_KEY}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

/** `dativo start` until `until(stderr)` holds, then SIGTERM; its output and exit code. */
async function startUntil(until: (stderr: string) => boolean): Promise<{ code: number | null; out: string }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      BIN,
      'start',
      'orchestrated',
      '--runner-config',
      path.join(dir, 'runner.yaml'),
      '--state-dir',
      path.join(dir, 'state'),
    ],
    {
      cwd: dir,
      env: cliEnv({
        DATIVO_SECRET__ORCHESTRATOR__OPS_WEBHOOK_URL: hookUrl,
        DATIVO_SECRET__ORCHESTRATOR__OPS_WEBHOOK_TOKEN: 'bearer-7f3e21aa',
        DATIVO_REDIS_URL: undefined,
        DATIVO_NOTIFY_URL: undefined,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`start never got there:\n${out}`)), 120_000);
    const check = (d: Buffer) => {
      out += d;
      if (until(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    void exited.then(() => reject(new Error(`start exited early:\n${out}`)));
  });
  child.kill('SIGTERM');
  return { code: await exited, out };
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

async function runs(): Promise<RunEntry[]> {
  const r = await runCli(['runs', 'list', '--state-dir', path.join(dir, 'state'), '--json'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { runs: RunEntry[] }).runs;
}

describe('dativo start notifications', () => {
  it('one event per failed run, one stale event, the URL never logged; history survives a restart', async () => {
    const first = await startUntil(
      (s) => count(s, '"event_type":"run_finished"') >= 2 && s.includes('"event_type":"job_stale"'),
    );
    expect(first.code, first.out).toBe(0);
    expect(first.out).not.toContain(HOOK_KEY);
    expect(first.out).not.toContain('bearer-7f3e21aa');

    const failedRuns = (await runs()).filter((r) => r.status === 'failed');
    expect(failedRuns.length).toBeGreaterThanOrEqual(2);
    const runEvents = accepted.filter((a) => a.body.type === 'run_failed');
    // Exactly one accepted event per failed run, each after one refused delivery.
    expect(runEvents.map((e) => e.key).sort()).toEqual(failedRuns.map((r) => r.id).sort());
    for (const r of failedRuns) expect(attempts.get(r.id)).toBe(2);
    const one = runEvents[0]!.body.run as Record<string, unknown>;
    expect(one).toMatchObject({ job: 'broken', status: 'failed', errorCode: 'VALIDATION_FAILED' });
    expect(runEvents.every((e) => e.auth === 'Bearer bearer-7f3e21aa')).toBe(true);

    const stale = accepted.filter((a) => a.body.type === 'job_stale');
    expect(stale).toHaveLength(1);
    expect(stale[0]!.body).toMatchObject({
      schedule: 'broken_often',
      intervalSeconds: 2,
      staleAfterSeconds: 4,
    });
    expect(stale[0]!.body.lastSuccessAt).toBeUndefined();

    // A new `start` on the same state dir: the earlier runs are still listed, and it adds its own.
    const before = failedRuns.map((r) => r.id);
    const second = await startUntil((s) => count(s, '"event_type":"run_finished"') >= 1);
    expect(second.code, second.out).toBe(0);
    const after = await runs();
    expect(after.map((r) => r.id)).toEqual(expect.arrayContaining(before));
    expect(after.length).toBeGreaterThan(before.length);
  });
});
