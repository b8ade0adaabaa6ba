/**
 * Native Stripe and HubSpot sources through `dativo run`, against protocol-faithful local fakes:
 * pagination, a 429 with Retry-After retried by the HTTP policy, incremental second runs that
 * fetch only what is new, and no API key in any output.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubspotRecord, startHubspotFake } from '../fakes/hubspot-fake.js';
import { type StripeObject, startStripeFake } from '../fakes/stripe-fake.js';
import { reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';

const STRIPE_KEY = 'sk_test_51Secretvalue0000abcd';
const HUBSPOT_TOKEN = 'pat-na1-secret-token-0000-wxyz';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-api-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 10, 1) / 1000;

function customer(i: number, created: number): StripeObject {
  return {
    id: `cus_${String(i).padStart(6, '0')}`,
    object: 'customer',
    created,
    email: `c${i}@example.com`,
    balance: i * 10,
    metadata: { n: String(i) },
  };
}

function parquetGlob(out: string): string {
  return `${out}/**/*.parquet`;
}

describe('Stripe (native) against its fake', () => {
  it('pages, retries a 429 after Retry-After, and a second run reads only new customers', async () => {
    // 250 customers, three per second of `created`, so pages and the cursor boundary share seconds.
    const customers = Array.from({ length: 250 }, (_, i) => customer(i, T0 + Math.floor(i / 3)));
    const fake = await startStripeFake({ apiKey: STRIPE_KEY, objects: { customers }, rateLimitAt: [2] });
    const out = path.join(tmp, 'stripe-out');
    const env = { STRIPE_BASE_URL: fake.url, STRIPE_API_KEY: STRIPE_KEY, OUT_DIR: out };
    const args = [
      'run',
      '--config',
      'tests/fixtures/jobs/api/stripe_customers.yaml',
      '--state-dir',
      path.join(tmp, 'stripe-state'),
      '--json',
    ];
    try {
      const first = await runCli(args, { env });
      const r1 = reportOf(first);
      expect(first.code, first.stderr).toBe(0);
      expect(r1.rows.written).toBe(250);
      // 3 pages of 100 + the one request that got 429 and was retried.
      expect(fake.requests.length).toBe(4);
      expect(fake.requests[1]?.query.starting_after).toBeDefined();
      const max = T0 + Math.floor(249 / 3);
      expect(r1.state['customers.created'].last_value).toBe(max);
      expect(r1.state['customers.created'].ids_at_last_value).toEqual(['cus_000249']);

      // New customers: two in the boundary second (after the run), three later.
      customers.push(
        customer(900, max),
        customer(901, max),
        customer(902, max + 5),
        customer(903, max + 6),
        customer(904, max + 6),
      );
      fake.requests.length = 0;
      const second = await runCli(args, { env });
      const r2 = reportOf(second);
      expect(second.code, second.stderr).toBe(0);
      expect(r2.rows.written).toBe(5);
      expect(fake.requests[0]?.query['created[gte]']).toBe(String(max));

      const rows = await duck<{ n: bigint; ids: bigint; min_created: string; balance_type: string }>(
        `SELECT count(*) AS n, count(DISTINCT id) AS ids, min(created)::VARCHAR AS min_created, typeof(any_value(balance)) AS balance_type FROM read_parquet('${parquetGlob(out)}')`,
      );
      expect(rows[0]).toEqual({
        n: 255n,
        ids: 255n,
        min_created: '2026-11-01 00:00:00+00',
        balance_type: 'DOUBLE',
      });
      const third = await runCli(args, { env });
      expect(reportOf(third).rows.written).toBe(0);
      for (const r of [first, second, third]) {
        expect(r.stdout + r.stderr).not.toContain(STRIPE_KEY);
      }
    } finally {
      await fake.close();
    }
  });

  it('a wrong API key exits 2 with AUTHENTICATION_FAILED and never prints the key', async () => {
    const fake = await startStripeFake({ apiKey: STRIPE_KEY, objects: { customers: [] } });
    const wrong = 'sk_test_51Wrongvalue0000zzzz';
    try {
      const r = await runCli(
        [
          'run',
          '--config',
          'tests/fixtures/jobs/api/stripe_customers.yaml',
          '--state-dir',
          path.join(tmp, 'stripe-bad'),
        ],
        {
          env: {
            STRIPE_BASE_URL: fake.url,
            STRIPE_API_KEY: wrong,
            OUT_DIR: path.join(tmp, 'stripe-bad-out'),
          },
        },
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('AUTHENTICATION_FAILED');
      expect(r.stderr).toContain('HTTP 401');
      expect(r.stdout + r.stderr).not.toContain(wrong);
    } finally {
      await fake.close();
    }
  });
});

function contact(i: number, updatedMs: number): HubspotRecord {
  return {
    id: String(1000 + i),
    createdAt: new Date(Date.UTC(2026, 9, 1) + i * 1000).toISOString(),
    updatedAt: new Date(updatedMs).toISOString(),
    properties: { email: `p${i}@example.org`, firstname: `P${i}` },
  };
}

describe('HubSpot (native) against its fake', () => {
  it('lists everything first, then searches only records modified since, updates included', async () => {
    const base = Date.UTC(2026, 10, 2);
    const contacts = Array.from({ length: 450 }, (_, i) => contact(i, base + i * 10));
    const fake = await startHubspotFake({ token: HUBSPOT_TOKEN, objects: { contacts }, rateLimitAt: [3] });
    const out = path.join(tmp, 'hubspot-out');
    const env = { HUBSPOT_BASE_URL: fake.url, HUBSPOT_API_KEY: HUBSPOT_TOKEN, OUT_DIR: out };
    const args = [
      'run',
      '--config',
      'tests/fixtures/jobs/api/hubspot_contacts.yaml',
      '--state-dir',
      path.join(tmp, 'hubspot-state'),
      '--json',
    ];
    try {
      const first = await runCli(args, { env });
      const r1 = reportOf(first);
      expect(first.code, first.stderr).toBe(0);
      expect(r1.rows.written).toBe(450);
      expect(fake.requests.filter((q) => q.method === 'GET').length).toBe(6); // 5 pages + one 429
      expect(fake.requests[0]?.query.properties).toBe('email');

      // 20 contacts updated, 10 added; one of the updates lands exactly on the stored position.
      const last = base + 449 * 10;
      for (let i = 0; i < 20; i++) {
        const c = contacts[i] as HubspotRecord;
        c.updatedAt = new Date(i === 0 ? last : last + 1000 + i).toISOString();
      }
      for (let i = 450; i < 460; i++) contacts.push(contact(i, last + 5000 + i));
      fake.requests.length = 0;
      const second = await runCli(args, { env });
      const r2 = reportOf(second);
      expect(second.code, second.stderr).toBe(0);
      expect(r2.rows.written).toBe(30);
      const search = fake.requests[0];
      expect(search?.method).toBe('POST');
      expect(search?.path).toBe('/crm/v3/objects/contacts/search');
      expect(JSON.stringify(search?.body)).toContain(`"value":"${last}"`);

      const rows = await duck<{ versions: bigint; ids: bigint; ts: string }>(
        `SELECT count(*) AS versions, count(DISTINCT id) AS ids, typeof(any_value("updatedAt")) AS ts FROM read_parquet('${parquetGlob(out)}')`,
      );
      expect(rows[0]).toEqual({ versions: 480n, ids: 460n, ts: 'TIMESTAMP WITH TIME ZONE' });
      for (const r of [first, second]) expect(r.stdout + r.stderr).not.toContain(HUBSPOT_TOKEN);
    } finally {
      await fake.close();
    }
  });
});
