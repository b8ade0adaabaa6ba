/**
 * The real pipeline under the scheduler: CSV jobs written to local folders, the schedule clock
 * driven by hand, the runs themselves real (so the test waits for them in real time, briefly).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCsv } from '../../../bench/gen-csv.js';
import { silentLogger } from '../../../host/observability/logger.js';
import { createManualClock } from '../../../host/orchestrator/clock.js';
import { createInProcessExecutor } from '../../../host/orchestrator/in-process.js';
import { loadRunnerConfig } from '../../../host/orchestrator/runner-config.js';
import { startOrchestrator } from '../../../host/orchestrator/service.js';
import { visibleCount } from '../../helpers/duckdb.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-orch-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

function jobYaml(inGlob: string, out: string, tenant: string, retry = ''): string {
  return [
    `tenant_id: ${tenant}`,
    'source_connector: csv',
    'source_connector_path: connectors/csv.yaml',
    'target_connector: local',
    'target_connector_path: connectors/local.yaml',
    'asset_path: tests/fixtures/contracts/orders.yaml',
    'source:',
    '  files:',
    `    - path: "${inGlob}"`,
    '      object: orders',
    'target:',
    '  connection:',
    `    path: "${out}"`,
    'schema_validation_mode: strict',
    retry,
  ].join('\n');
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('orchestrator with the in-process executor', () => {
  it('runs scheduled jobs through the dativo run pipeline, retries a missing input with backoff, serves the API', async () => {
    const dir = path.join(tmp, 'service');
    await mkdir(path.join(dir, 'in-a'), { recursive: true });
    await generateCsv(path.join(dir, 'in-a', 'orders.csv'), 500, 1);
    await writeFile(path.join(dir, 'a.yaml'), jobYaml(`${dir}/in-a/*.csv`, `${dir}/out-a`, 'acme'));
    await writeFile(
      path.join(dir, 'late.yaml'),
      jobYaml(
        `${dir}/in-late/orders.csv`,
        `${dir}/out-late`,
        'globex',
        'retry_config:\n  max_retries: 2\n  initial_delay_seconds: 2\n  backoff_multiplier: 2\n  retryable_error_patterns: ["SOURCE_NOT_FOUND"]',
      ),
    );
    const runnerFile = path.join(dir, 'runner.yaml');
    await writeFile(
      runnerFile,
      [
        'runner:',
        '  mode: orchestrated',
        '  orchestrator:',
        '    type: dagster',
        '    concurrency_per_tenant: 1',
        '    schedules:',
        '      - { name: a_every_minute, config: a.yaml, cron: "* * * * *", timezone: Europe/Berlin }',
        '      - { name: late_hourly, config: late.yaml, interval_seconds: 3600 }',
        '  api: { port: 0, token_secret: api_token }',
      ].join('\n'),
    );
    const runner = await loadRunnerConfig(runnerFile);
    const clock = createManualClock(Date.parse('2024-05-01T10:00:30Z'));
    const load = { mode: 'self_hosted' as const, stateDir: path.join(dir, 'state') };
    process.env.DATIVO_SECRET__ORCHESTRATOR__API_TOKEN = 'unit-token-51b7';
    const service = await startOrchestrator({
      runner,
      logger: silentLogger(),
      load,
      secrets: {},
      clock,
      executor: createInProcessExecutor({ logger: silentLogger(), load }),
    });
    try {
      const { scheduler, server } = service;
      expect(server?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const api = (p: string, init: RequestInit = {}, token = 'unit-token-51b7') =>
        fetch(`${server!.url}${p}`, { ...init, headers: { authorization: `Bearer ${token}` } });

      await clock.advance(30_000); // 10:01:00 — a fires
      await waitFor(() => scheduler.runs()[0]?.state === 'succeeded', 'the first run of a');
      expect(await visibleCount(`${dir}/out-a`)).toBe(500);

      const late = await api('/schedules/late_hourly/trigger', { method: 'POST' });
      expect(late.status).toBe(202);
      const lateId = ((await late.json()) as { run: { id: string } }).run.id;
      const lateRun = () => scheduler.run(lateId)!;
      await waitFor(() => lateRun().state === 'retry_wait', 'the first failure of late');
      expect(lateRun().attempts[0]?.errors[0]?.code).toBe('SOURCE_NOT_FOUND');
      expect(lateRun().attempts[0]?.retryDelayMs).toBe(2000);

      // Still missing at the first retry: the second waits twice as long.
      await clock.advance(2000);
      await waitFor(
        () => lateRun().attempts.length === 2 && lateRun().state === 'retry_wait',
        'the second failure',
      );
      expect(lateRun().attempts[1]?.retryDelayMs).toBe(4000);

      await mkdir(path.join(dir, 'in-late'));
      await generateCsv(path.join(dir, 'in-late', 'orders.csv'), 300, 2, 10_000);
      await clock.advance(3999);
      expect(lateRun().attempts).toHaveLength(2);
      await clock.advance(1);
      await waitFor(() => lateRun().state === 'succeeded', 'the third attempt');
      expect(await visibleCount(`${dir}/out-late`)).toBe(300);

      const res = await api(`/runs/${lateId}`);
      const body = (await res.json()) as {
        attempts: { status: string; report?: { rows: { written: number } } }[];
      };
      expect(body.attempts.map((a) => a.status)).toEqual(['failed', 'failed', 'succeeded']);
      expect(body.attempts[2]?.report?.rows.written).toBe(300);
      expect((await api('/runs', {}, 'wrong')).status).toBe(401);

      // The next minute: a second run of a finds nothing new (incremental state from the commit).
      await clock.advance(60_000);
      await waitFor(
        () =>
          scheduler.runs().filter((r) => r.schedule === 'a_every_minute').length === 2 &&
          scheduler.busy() === 0,
        'the second run of a',
      );
      const second = scheduler.runs().filter((r) => r.schedule === 'a_every_minute')[1];
      expect(second?.state).toBe('nothing_new');
      expect(await visibleCount(`${dir}/out-a`)).toBe(500);
    } finally {
      delete process.env.DATIVO_SECRET__ORCHESTRATOR__API_TOKEN;
      await service.stop(0);
    }
  }, 180_000);

  it('a job that no longer loads fails its attempt with the config error, not the scheduler', async () => {
    const dir = path.join(tmp, 'broken');
    await mkdir(dir, { recursive: true });
    const executor = createInProcessExecutor({ logger: silentLogger(), load: { mode: 'self_hosted' } });
    await writeFile(path.join(dir, 'job.yaml'), 'tenant_id: x\nsource_connector: csv\nbogus_key: 1\n');
    const handle = await executor.submit({
      runKey: 'r#1',
      runId: 'r',
      jobFile: path.join(dir, 'job.yaml'),
      jobName: 'job',
      tenant: 'x',
      attempt: 1,
      trigger: 'manual',
      tags: {},
    });
    const result = await handle.result;
    expect(result.status).toBe('failed');
    expect(result.exitCode).toBe(2);
    expect(result.report).toBeUndefined();
    expect(result.errors[0]?.location).toMatch(/job\.yaml:\d+:\d+/);
    expect(await executor.cancel('r#1')).toBe(false);
  });
});
