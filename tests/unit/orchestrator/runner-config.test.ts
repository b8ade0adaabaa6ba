import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DativoError, DativoErrors, formatLocation } from '../../../host/errors.js';
import { loadRunnerConfig } from '../../../host/orchestrator/runner-config.js';

const SHIPPED = fileURLToPath(
  new URL('../../fixtures/original-configs/configs/runner.yaml', import.meta.url),
);
const JOB = fileURLToPath(new URL('../../fixtures/jobs/orders.yaml', import.meta.url));

async function write(text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-runner-'));
  const file = path.join(dir, 'runner.yaml');
  await writeFile(file, text);
  return file;
}

async function errorsOf(file: string): Promise<DativoError[]> {
  try {
    await loadRunnerConfig(file);
  } catch (err) {
    if (err instanceof DativoErrors) return err.errors;
    if (err instanceof DativoError) return [err];
    throw err;
  }
  throw new Error('expected the runner config to fail');
}

describe('runner config', () => {
  it('loads the shipped runner.yaml with its runner: wrapper', async () => {
    const cfg = await loadRunnerConfig(SHIPPED, { requireJobFiles: false });
    expect(cfg.mode).toBe('orchestrated');
    expect(cfg.orchestratorType).toBe('dagster');
    expect(cfg.concurrencyPerTenant).toBe(1);
    expect(cfg.schedules.map((s) => [s.name, s.enabled, s.timezone])).toEqual([
      ['stripe_customers_hourly', true, 'UTC'],
      ['hubspot_contacts_daily', true, 'America/New_York'],
      ['gdrive_deals_daily', true, 'UTC'],
      ['gsheets_vendors_daily', false, 'UTC'],
    ]);
    const [stripe, hubspot] = cfg.schedules;
    expect(stripe).toMatchObject({
      cron: '0 * * * *',
      maxConcurrentRuns: 1,
      jobFile: '/app/jobs/acme/stripe_customers_to_iceberg.yaml',
      tags: { environment: 'production', priority: 'high' },
    });
    expect(hubspot?.intervalSeconds).toBe(21600);
    expect(hubspot?.cron).toBeUndefined();
    expect(cfg.api).toMatchObject({ enabled: true, port: 8080, tokenSecret: 'orchestrator_api_token' });
  });

  it('reports the missing job files of enabled schedules with their positions, not of disabled ones', async () => {
    const errors = await errorsOf(SHIPPED);
    expect(errors.map((e) => e.code)).toEqual(['CONFIG_NOT_FOUND', 'CONFIG_NOT_FOUND', 'CONFIG_NOT_FOUND']);
    expect(errors.map((e) => `${e.location?.line}:${e.location?.column} ${e.location?.keyPath}`)).toEqual([
      '7:9 runner.orchestrator.schedules[0].config',
      '17:9 runner.orchestrator.schedules[1].config',
      '25:9 runner.orchestrator.schedules[2].config',
    ]);
  });

  it('accepts the form without the wrapper, resolves job paths and expands ${VAR}', async () => {
    const file = await write(
      [
        'mode: oneshot',
        'orchestrator:',
        '  max_concurrent_runs: 3',
        '  shutdown_grace_seconds: 5',
        '  schedules:',
        '    - name: orders',
        '      config: ${JOB_FILE}',
        '      interval_seconds: 60',
        'api:',
        '  port: 0',
        '  token_secret: my_token',
      ].join('\n'),
    );
    const cfg = await loadRunnerConfig(file, { env: { JOB_FILE: JOB } });
    expect(cfg.mode).toBe('oneshot');
    expect(cfg.maxConcurrentRuns).toBe(3);
    expect(cfg.shutdownGraceSeconds).toBe(5);
    expect(cfg.schedules[0]).toMatchObject({
      name: 'orders',
      jobFile: JOB,
      intervalSeconds: 60,
      enabled: true,
      timezone: 'UTC',
    });
    expect(cfg.api).toMatchObject({ port: 0, tokenSecret: 'my_token', secretScope: 'orchestrator' });
  });

  it('reports every problem at once with file:line:column', async () => {
    const file = await write(
      [
        'orchestrator:', // 1
        '  concurency_per_tenant: 2', // 2
        '  schedules:', // 3
        '    - name: a', // 4
        `      config: ${JOB}`, // 5
        '      cron: "61 * * * *"', // 6
        '    - name: b', // 7
        `      config: ${JOB}`, // 8
        '      cron: "* * * * *"', // 9
        '      interval_seconds: 5', // 10
        '    - name: c', // 11
        `      config: ${JOB}`, // 12
        '      interval_seconds: 5', // 13
        '      timezone: Mars/Olympus', // 14
        '    - name: a', // 15
        `      config: ${JOB}`, // 16
        '      interval_seconds: 5', // 17
      ].join('\n'),
    );
    const first = await errorsOf(file);
    expect(first).toHaveLength(1);
    expect(formatLocation(first[0]?.location)).toBe(`${file}:2:3, key orchestrator.concurency_per_tenant`);
    expect(first[0]?.message).toBe('unknown key "concurency_per_tenant" in a runner config');

    await writeFile(
      file,
      (await import('node:fs')).readFileSync(file, 'utf8').replace('concurency', 'concurrency'),
    );
    const errors = await errorsOf(file);
    expect(errors.map((e) => [e.location?.line, e.location?.column, e.message.split(':')[0]])).toEqual([
      [6, 7, 'invalid cron expression "61 * * * *"'],
      [7, 7, 'schedule "b" needs exactly one of "cron" or "interval_seconds"'],
      [14, 7, 'unknown time zone "Mars/Olympus" (use an IANA name such as "Europe/Berlin")'],
      [15, 7, 'schedule name "a" is used twice (also schedule 0)'],
    ]);
  });
});
