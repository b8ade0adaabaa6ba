/**
 * Failure notifications against a real local HTTP receiver that fails the first delivery of each
 * event: every failed run arrives exactly once, succeeded runs never, and a 4xx is not retried.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../host/observability/logger.js';
import { createNotifier } from '../../../host/store/notify.js';
import { sampleRun } from './store-suite.js';

let server: Server;
let url: string;
const delivered: { id: string; type: string; errorCode?: string }[] = [];
const seen = new Map<string, number>();
let refuse = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const event = JSON.parse(body);
      const n = (seen.get(event.run.id) ?? 0) + 1;
      seen.set(event.run.id, n);
      if (refuse) return res.writeHead(400).end();
      // The first delivery of every event fails: the notifier must retry it.
      if (n === 1) return res.writeHead(503).end();
      delivered.push({ id: event.run.id, type: event.type, errorCode: event.run.errorCode });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('failure notifications', () => {
  it('exactly one event per failed run, none for a succeeded run, despite a failing first delivery', async () => {
    const notify = createNotifier({ url, logger: silentLogger(), backoffMs: 20 });
    const runs = [
      sampleRun({ id: 'ok-1', status: 'succeeded' }),
      sampleRun({ id: 'bad-1', status: 'failed', errorCode: 'SOURCE_UNAVAILABLE', errorMessage: 'down' }),
      sampleRun({ id: 'bad-2', status: 'failed', errorCode: 'VALIDATION_FAILED', errorMessage: 'strict' }),
    ];
    const sent = await Promise.all(runs.map((r) => notify(r)));
    expect(sent).toEqual([false, true, true]);
    expect(delivered.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'bad-1', type: 'run_failed', errorCode: 'SOURCE_UNAVAILABLE' },
      { id: 'bad-2', type: 'run_failed', errorCode: 'VALIDATION_FAILED' },
    ]);
    expect(seen.get('ok-1')).toBeUndefined();
    expect(seen.get('bad-1')).toBe(2);
  });

  it('a 4xx answer is not retried; an unreachable receiver gives up after the attempts', async () => {
    refuse = true;
    const notify = createNotifier({ url, logger: silentLogger(), backoffMs: 10, attempts: 3 });
    expect(await notify(sampleRun({ id: 'bad-3', status: 'failed' }))).toBe(false);
    expect(seen.get('bad-3')).toBe(1);
    const nowhere = createNotifier({
      url: 'http://127.0.0.1:1/hook',
      logger: silentLogger(),
      backoffMs: 10,
      attempts: 2,
    });
    expect(await nowhere(sampleRun({ id: 'bad-4', status: 'failed' }))).toBe(false);
  });
});
