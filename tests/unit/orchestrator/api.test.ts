import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createApiApp } from '../../../host/api/app.js';
import { tokenMatches } from '../../../host/api/auth.js';
import { loadApiToken } from '../../../host/api/token.js';
import { createLogger } from '../../../host/observability/logger.js';
import { createManualClock } from '../../../host/orchestrator/clock.js';
import { createScheduler } from '../../../host/orchestrator/scheduler.js';
import { fakeExecutor, jobInfos, scheduleDef } from './fakes.js';

const TOKEN = 'tok-3f9a1c77e0b24d5e';
const START = Date.parse('2024-01-01T00:00:00Z');

async function setup() {
  const clock = createManualClock(START);
  const fake = fakeExecutor(clock, {
    alpha: { durationMs: 90_000, outcomes: ['ok'] },
    beta: { durationMs: 10_000, outcomes: ['ok'] },
    gamma: { durationMs: 20_000, outcomes: ['retryable', 'ok'] },
  });
  const scheduler = createScheduler({
    schedules: [
      scheduleDef('alpha', { cron: '* * * * *' }),
      scheduleDef('beta', { intervalSeconds: 30 }),
      scheduleDef('gamma', { cron: '*/2 * * * *' }),
      scheduleDef('off', { cron: '0 0 * * *', enabled: false, jobFile: '/nowhere/off.yaml' }),
    ],
    executor: fake.executor,
    clock,
    logger: createLogger({ level: 'silent' }),
    jobInfo: jobInfos({ alpha: 't1', beta: 't1', gamma: 't2' }),
    concurrencyPerTenant: 1,
  });
  const lines: string[] = [];
  const logger = createLogger({
    destination: new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  });
  const app = createApiApp({ scheduler, token: TOKEN, logger });
  const call = async (method: string, path: string, token: string | null = TOKEN) => {
    const res = await app.request(path, {
      method,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON fields
    return { status: res.status, body: (await res.json()) as any, headers: res.headers };
  };
  return { clock, scheduler, app, call, lines, fake };
}

describe('HTTP API', () => {
  it('needs the bearer token everywhere except /health, and never logs it', async () => {
    const { call, lines } = await setup();
    expect((await call('GET', '/health', null)).status).toBe(200);
    for (const [method, path] of [
      ['GET', '/ready'],
      ['GET', '/schedules'],
      ['GET', '/runs'],
      ['GET', '/runs/x'],
      ['POST', '/schedules/alpha/trigger'],
      ['POST', '/runs/x/cancel'],
      ['GET', '/metrics'],
    ] as const) {
      const none = await call(method, path, null);
      expect(none.status, `${method} ${path}`).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="dativo"');
      expect((await call(method, path, `${TOKEN}x`)).status).toBe(401);
    }
    expect((await call('GET', '/schedules', TOKEN.toUpperCase())).status).toBe(401);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(TOKEN);
    expect(lines[0]).toContain('"event_type":"api_unauthorized"');
  });

  it('compares tokens in constant time over digests (any length in, a boolean out)', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abcd')).toBe(false);
    expect(tokenMatches('abc', undefined)).toBe(false);
    expect(tokenMatches('', '')).toBe(false);
  });

  it('shows schedules, runs with status and reports, retries and readiness', async () => {
    const { call, clock, scheduler } = await setup();
    expect((await call('GET', '/ready')).status).toBe(503);
    await scheduler.start();
    const ready = await call('GET', '/ready');
    expect(ready).toMatchObject({ status: 200, body: { ready: true, state: 'running', executor: 'fake' } });

    await clock.advance(5 * 60_000);
    const schedules = await call('GET', '/schedules');
    expect(schedules.status).toBe(200);
    expect(
      schedules.body.schedules.map((s: { name: string; enabled: boolean }) => [s.name, s.enabled]),
    ).toEqual([
      ['alpha', true],
      ['beta', true],
      ['gamma', true],
      ['off', false],
    ]);
    expect(schedules.body.schedules[2]).toMatchObject({
      cron: '*/2 * * * *',
      nextFireAt: '2024-01-01T00:06:00.000Z',
      tenant: 't2',
    });

    const all = await call('GET', '/runs?limit=1000');
    expect(all.status).toBe(200);
    const states = new Set(all.body.runs.map((r: { state: string }) => r.state));
    expect(states).toContain('succeeded');
    expect(states).toContain('skipped');
    // Newest first.
    const created = all.body.runs.map((r: { createdAt: string }) => r.createdAt);
    expect([...created].sort().reverse()).toEqual(created);

    const gamma = await call('GET', '/runs?schedule=gamma&state=succeeded');
    expect(gamma.body.runs.length).toBeGreaterThan(0);
    const firstGamma = gamma.body.runs.at(-1);
    expect(
      firstGamma.attempts.map((a: { status: string; retryDelayMs?: number }) => [a.status, a.retryDelayMs]),
    ).toEqual([
      ['failed', 5000],
      ['succeeded', undefined],
    ]);
    expect(firstGamma.attempts[0].errors[0].code).toBe('CONNECTION_FAILED');

    const one = await call('GET', `/runs/${firstGamma.id}`);
    expect(one).toMatchObject({ status: 200, body: { id: firstGamma.id, schedule: 'gamma', tenant: 't2' } });
    expect((await call('GET', '/runs/nope')).status).toBe(404);
    expect(
      (await call('GET', '/runs?tenant=t2')).body.runs.every((r: { tenant: string }) => r.tenant === 't2'),
    ).toBe(true);
  });

  it('triggers and cancels runs with the right status codes', async () => {
    const { call, clock, scheduler, fake } = await setup();
    await scheduler.start();
    const t = await call('POST', '/schedules/alpha/trigger');
    expect(t.status).toBe(202);
    expect(t.body.run).toMatchObject({ schedule: 'alpha', trigger: 'manual', state: 'running' });
    // alpha already has its one active run.
    const again = await call('POST', '/schedules/alpha/trigger');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('SKIPPED');
    expect((await call('POST', '/schedules/nope/trigger')).status).toBe(404);
    const off = await call('POST', '/schedules/off/trigger');
    expect(off.status).toBe(422);

    const beta = await call('POST', '/schedules/beta/trigger');
    expect(beta.body.run.state).toBe('queued'); // tenant t1 is busy with alpha
    expect(await call('POST', `/runs/${beta.body.run.id}/cancel`)).toMatchObject({
      status: 200,
      body: { status: 'cancelled' },
    });
    const c = await call('POST', `/runs/${t.body.run.id}/cancel`);
    expect(c).toMatchObject({ status: 202, body: { status: 'cancelling' } });
    await clock.advance(0);
    expect((await call('GET', `/runs/${t.body.run.id}`)).body.state).toBe('cancelled');
    expect((await call('POST', `/runs/${t.body.run.id}/cancel`)).status).toBe(409);
    expect((await call('POST', '/runs/nope/cancel')).status).toBe(404);
    expect(fake.cancels).toEqual([`${t.body.run.id}#1`]);

    await scheduler.stop({ graceMs: 0 });
    expect((await call('GET', '/ready')).status).toBe(503);
    expect((await call('POST', '/schedules/alpha/trigger')).status).toBe(503);
    expect((await call('GET', '/health', null)).status).toBe(200);
  });

  it('other modules can add routes behind the same auth', async () => {
    const { app, call } = await setup();
    app.get('/metrics', (c) => c.text('dativo_runs_total 0\n'));
    expect((await call('GET', '/metrics', null)).status).toBe(401);
    const res = await app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await res.text()).toBe('dativo_runs_total 0\n');
  });
});

describe('API token from the secret manager', () => {
  it('reads the named secret from the configured scope', async () => {
    const env = { DATIVO_SECRET__ORCHESTRATOR__ORCHESTRATOR_API_TOKEN: 'from-env-7c1d' };
    expect(
      await loadApiToken({ tokenSecret: 'orchestrator_api_token', secretScope: 'orchestrator' }, { env }),
    ).toBe('from-env-7c1d');
    const global = { DATIVO_SECRET__GLOBAL__API_KEY: 'global-9e2' };
    expect(await loadApiToken({ tokenSecret: 'api_key', secretScope: 'ops' }, { env: global })).toBe(
      'global-9e2',
    );
  });

  it('a missing token is SECRET_NOT_FOUND at the config position', async () => {
    await expect(
      loadApiToken(
        { tokenSecret: 'nope', secretScope: 'orchestrator' },
        { env: {} },
        { file: 'runner.yaml', line: 3, column: 5 },
      ),
    ).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND', location: { file: 'runner.yaml', line: 3 } });
  });
});
