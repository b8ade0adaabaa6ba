/**
 * The console's operator gate: read-only without a token (POST routes do not exist, no buttons);
 * with one, a POST needs the token (bearer or login cookie) and the page's CSRF token, and a
 * foreign Origin is refused before either is looked at.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleApp, csrfTokenFor } from '../../../host/console/app.js';
import { silentLogger } from '../../../host/observability/logger.js';
import type { Scheduler } from '../../../host/orchestrator/scheduler.js';
import { openStore } from '../../../host/store/index.js';
import type { HistoryStore } from '../../../host/store/types.js';
import { sampleRun } from '../store/store-suite.js';

let dir: string;
let store: HistoryStore;
const triggered: string[] = [];
const scheduler = {
  schedules: () => [
    {
      name: 'orders-hourly',
      jobFile: '/j.yaml',
      jobName: 'orders',
      cron: '0 * * * *',
      timezone: 'UTC',
      enabled: true,
      maxConcurrentRuns: 1,
      tags: {},
      activeRuns: 0,
      nextFireAt: '2026-01-01T11:00:00.000Z',
    },
  ],
  trigger: async (name: string) => {
    triggered.push(name);
    return { outcome: 'queued', run: { id: 'new-run' } };
  },
} as unknown as Pick<Scheduler, 'schedules' | 'trigger'>;
const TOKEN = 'op-token-123456';
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const post = (headers: Record<string, string>, body: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', ...headers },
  body,
});

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-console-'));
  store = await openStore({ store: path.join(dir, 'dativo.db') });
  await store.saveRun(
    sampleRun({
      id: 'r1',
      schedule: 'orders-hourly',
      status: 'failed',
      errorCode: 'SOURCE_UNAVAILABLE',
      errorMessage: 'connection <refused>',
    }),
  );
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('console', () => {
  it('read-only without a token: pages render, error text is escaped, no buttons, POST is 404', async () => {
    const app = createConsoleApp({ store, logger: silentLogger(), scheduler });
    const detail = await app.request('/runs/r1');
    const html = await detail.text();
    expect(detail.status).toBe(200);
    expect(html).toContain('[SOURCE_UNAVAILABLE] connection &lt;refused&gt;');
    expect(html).not.toContain('id="retry"');
    const jobs = await (await app.request('/jobs')).text();
    expect(jobs).toContain('0 * * * *');
    expect(jobs).toContain('2026-01-01T11:00:00.000Z');
    expect(jobs).not.toContain('Run now');
    expect((await app.request('/runs/r1/retry', post({ authorization: `Bearer ${TOKEN}` }, ''))).status).toBe(
      404,
    );
    expect((await app.request('/runs/nope')).status).toBe(404);
  });

  it('with a token: POST needs the token and the CSRF token; then it triggers the schedule', async () => {
    const app = createConsoleApp({ store, logger: silentLogger(), scheduler, token: TOKEN });
    const html = await (await app.request('/runs/r1')).text();
    const csrf = csrfTokenFor(TOKEN);
    expect(html).toContain(`value="${csrf}"`);
    expect(html).toContain('id="retry"');
    const url = '/runs/r1/retry';
    expect((await app.request(url, post({}, form({ _csrf: csrf })))).status).toBe(401);
    expect(
      (await app.request(url, post({ authorization: 'Bearer wrong' }, form({ _csrf: csrf })))).status,
    ).toBe(401);
    expect((await app.request(url, post({ authorization: `Bearer ${TOKEN}` }, form({})))).status).toBe(403);
    expect(
      (await app.request(url, post({ authorization: `Bearer ${TOKEN}` }, form({ _csrf: 'x' })))).status,
    ).toBe(403);
    expect(
      (
        await app.request(
          url,
          post({ authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' }, form({ _csrf: csrf })),
        )
      ).status,
    ).toBe(403);
    expect(triggered).toEqual([]);
    const ok = await app.request(url, post({ authorization: `Bearer ${TOKEN}` }, form({ _csrf: csrf })));
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/runs/new-run');
    expect(triggered).toEqual(['orders-hourly']);
  });

  it('login sets an HttpOnly SameSite=Strict cookie that authorizes POSTs', async () => {
    const app = createConsoleApp({ store, logger: silentLogger(), scheduler, token: TOKEN });
    expect((await app.request('/login', post({}, form({ token: 'wrong' })))).status).toBe(401);
    const login = await app.request('/login', post({}, form({ token: TOKEN })));
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const res = await app.request(
      '/schedules/orders-hourly/trigger',
      post({ cookie: cookie.split(';')[0]! }, form({ _csrf: csrfTokenFor(TOKEN) })),
    );
    expect(res.status).toBe(303);
  });
});
