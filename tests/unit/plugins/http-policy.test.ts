import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, retryAfterMs } from '../../../host/plugins/http-policy.js';
import { httpPolicySchema } from '../../../host/plugins/manifest.js';
import { startServer, type TestServer } from './fixtures.js';

let a: TestServer;
let b: TestServer;
let flaky = 0;

beforeAll(async () => {
  b = await startServer((_q, r) => r.end('b'));
  a = await startServer((req, res) => {
    if (req.url === '/hop') {
      res.writeHead(301, { location: '/final' });
      res.end();
    } else if (req.url === '/away') {
      res.writeHead(302, { location: `${b.url}/x` });
      res.end();
    } else if (req.url === '/flaky') {
      if (flaky++ < 2) {
        res.writeHead(503, { 'retry-after': '2' });
        res.end();
      } else res.end('finally');
    } else if (req.url === '/big') res.end('x'.repeat(2 * 1024 * 1024));
    else res.end(`a:${req.method}:${req.url}`);
  });
});
afterAll(async () => {
  await a.close();
  await b.close();
});

function client(policy: Partial<ReturnType<typeof httpPolicySchema.parse>> = {}, sleeps: number[] = []) {
  return createHttpClient({
    name: 'plugin t',
    hosts: [`127.0.0.1:${a.port}`],
    policy: httpPolicySchema.parse(policy),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

describe('http policy', () => {
  it('follows redirects within the grant', async () => {
    const r = await client()({ url: `${a.url}/hop` });
    expect(r.ok && new TextDecoder().decode(r.response.body)).toBe('a:GET:/final');
  });

  it('denies other hosts, other ports, redirects out of the grant, and methods not granted', async () => {
    const r1 = await client()({ url: `${b.url}/x` });
    expect(!r1.ok && r1.error.denied).toEqual({ capability: 'network', resource: `127.0.0.1:${b.port}` });
    const r2 = await client()({ url: `${a.url}/away` });
    expect(!r2.ok && r2.error.message).toContain(`network access to 127.0.0.1:${b.port} denied`);
    expect(b.hits).toEqual([]);
    const r3 = await client()({ url: `${a.url}/p`, method: 'POST' });
    expect(!r3.ok && r3.error.message).toContain('HTTP method POST');
    const r4 = await client({ methods: ['GET', 'POST'] })({ url: `${a.url}/p`, method: 'POST' });
    expect(r4.ok && new TextDecoder().decode(r4.response.body)).toBe('a:POST:/p');
    const r5 = await client()({ url: `file:///etc/passwd` });
    expect(!r5.ok && r5.error.code).toBe('PLUGIN_DENIED');
  });

  it('retries 503 honouring Retry-After, capped by max_delay_ms', async () => {
    const sleeps: number[] = [];
    const r = await client({ max_delay_ms: 1500 }, sleeps)({ url: `${a.url}/flaky` });
    expect(r.ok && new TextDecoder().decode(r.response.body)).toBe('finally');
    expect(sleeps).toEqual([1500, 1500]);
    expect(retryAfterMs('3', 0)).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
  });

  it('rate-limits and caps the response size', async () => {
    const sleeps: number[] = [];
    let t = 0;
    const c = createHttpClient({
      name: 'plugin t',
      hosts: [`127.0.0.1:${a.port}`],
      policy: httpPolicySchema.parse({ rate_per_second: 4 }),
      now: () => t,
      sleep: async (ms) => {
        sleeps.push(ms);
        t += ms;
      },
    });
    for (let i = 0; i < 3; i++) await c({ url: `${a.url}/r${i}` });
    expect(sleeps).toEqual([250, 250]);
    const big = await client({ max_response_mb: 1 })({ url: `${a.url}/big` });
    expect(!big.ok && big.error.code).toBe('RESPONSE_TOO_LARGE');
  });
});
