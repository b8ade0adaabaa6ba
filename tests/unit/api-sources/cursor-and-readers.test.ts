/** The (cursor, ids) position of API sources, and the readers against the fakes without the CLI. */
import { afterEach, describe, expect, it } from 'vitest';
import type { ResolvedSource } from '../../../host/config/types.js';
import type { ContractField } from '../../../host/contract/model.js';
import { silentLogger } from '../../../host/observability/logger.js';
import { ApiCursor, readApiPosition } from '../../../host/sources/api/cursor.js';
import { createHubspotSource } from '../../../host/sources/api/hubspot.js';
import { createStripeSource } from '../../../host/sources/api/stripe.js';
import type { Source, SourceState } from '../../../host/sources/source.js';
import { type HubspotFake, type HubspotRecord, startHubspotFake } from '../../fakes/hubspot-fake.js';
import { type StripeFake, startStripeFake } from '../../fakes/stripe-fake.js';

describe('ApiCursor', () => {
  it('drops records before the start and the ids already read at it', () => {
    const start = readApiPosition(
      { 'c.created': { last_value: 100, ids_at_last_value: ['a', 'b'] } },
      'c.created',
      Number,
    );
    const c = new ApiCursor(start);
    expect(c.take(99, 99, 'z')).toBe(false);
    expect(c.take(100, 100, 'a')).toBe(false);
    expect(c.take(100, 100, 'c')).toBe(true);
    expect(c.take(101, 101, 'd')).toBe(true);
    expect(c.take(101, 101, 'd')).toBe(false); // a repeat inside the run
    expect(c.entry(new Date(0))).toEqual({
      last_value: 101,
      ids_at_last_value: ['d'],
      updated_at: '1970-01-01T00:00:00.000Z',
    });
  });

  it('keeps the start position when nothing new was read, and records without a cursor pass', () => {
    const c = new ApiCursor(readApiPosition({ k: { last_value: 5, ids_at_last_value: ['x'] } }, 'k', Number));
    expect(c.take(undefined, undefined, 'n')).toBe(true);
    expect(c.entry(new Date(0))?.last_value).toBe(5);
    expect(c.entry(new Date(0))?.ids_at_last_value).toEqual(['x']);
    expect(new ApiCursor(undefined).entry()).toBeUndefined();
  });

  it('ignores a state entry it cannot read', () => {
    expect(readApiPosition({ k: { last_value: { nested: true } } }, 'k', Number)).toBeUndefined();
    expect(readApiPosition({ k: 'text' }, 'k', Number)).toBeUndefined();
  });
});

function field(name: string, kind: 'string' | 'timestamp' | 'float64'): ContractField {
  return { name, type: { kind } as ContractField['type'], required: false } as ContractField;
}

function resolved(type: string, baseUrl: string, key: string, cursorField?: string): ResolvedSource {
  return {
    type,
    engine: 'native',
    config: { connection: { base_url: baseUrl }, rate_limits: { rps_default: 0, retry: { max_retries: 3 } } },
    options: {},
    files: [],
    objects: [],
    ...(cursorField ? { incremental: { strategy: 'created', cursorField, lookbackDays: 0 } } : {}),
    credentials: { api_key: key },
  };
}

async function drain(src: Source, state: SourceState = {}): Promise<{ rows: number; state: SourceState }> {
  await src.open({ state, logger: silentLogger(), signal: new AbortController().signal, batchSize: 1000 });
  let rows = 0;
  for await (const b of src.read()) rows += b.batch.numRows;
  return { rows, state: src.checkpoint() };
}

let stripe: StripeFake | undefined;
let hubspot: HubspotFake | undefined;
afterEach(async () => {
  await stripe?.close();
  await hubspot?.close();
  stripe = hubspot = undefined;
});

describe('readers against the fakes', () => {
  it('Stripe: epoch seconds become ISO text for timestamp columns; nested objects become JSON', async () => {
    stripe = await startStripeFake({
      apiKey: 'k',
      objects: {
        customers: [{ id: 'cus_1', created: 1_700_000_000, email: 'a@b', metadata: { tier: 'gold' } }],
      },
    });
    const fields = [field('id', 'string'), field('created', 'timestamp'), field('metadata', 'string')];
    const src = createStripeSource(resolved('stripe', stripe.url, 'k'), fields, 'customers');
    await src.open({
      state: {},
      logger: silentLogger(),
      signal: new AbortController().signal,
      batchSize: 10,
    });
    const batches = [];
    for await (const b of src.read()) batches.push(b);
    const row = batches[0]?.batch.get(0)?.toJSON();
    expect(row).toEqual({ id: 'cus_1', created: '2023-11-14T22:13:20.000Z', metadata: '{"tier":"gold"}' });
  });

  it('check() reports a working key as success and a wrong one as AUTHENTICATION_FAILED', async () => {
    stripe = await startStripeFake({ apiKey: 'k', objects: { customers: [] } });
    const fields = [field('id', 'string')];
    const ok = await createStripeSource(resolved('stripe', stripe.url, 'k'), fields, 'customers').check();
    expect(ok.status).toBe('success');
    const bad = await createStripeSource(
      resolved('stripe', stripe.url, 'wrong-key'),
      fields,
      'customers',
    ).check();
    expect(bad).toMatchObject({ status: 'failed', errorCode: 'AUTHENTICATION_FAILED', retryable: false });
    expect(bad.message).toContain('HTTP 401');
  });

  it('HubSpot: an incremental read past the 10,000-result search window restarts from the last time seen', async () => {
    const base = Date.UTC(2026, 0, 1);
    const contacts: HubspotRecord[] = Array.from({ length: 10_450 }, (_, i) => ({
      id: String(i + 1),
      createdAt: new Date(base).toISOString(),
      // Pairs of records share a millisecond, so the restart point repeats records the cursor drops.
      updatedAt: new Date(base + 1000 + Math.floor(i / 2)).toISOString(),
      properties: { email: `e${i}@x` },
    }));
    hubspot = await startHubspotFake({ token: 't', objects: { contacts } });
    const fields = [field('id', 'string'), field('email', 'string'), field('updatedAt', 'timestamp')];
    const src = createHubspotSource(resolved('hubspot', hubspot.url, 't', 'updatedAt'), fields, 'contacts');
    const state = {
      'contacts.updatedAt': { last_value: new Date(base).toISOString(), ids_at_last_value: [] },
    };
    const got = await drain(src, state);
    expect(got.rows).toBe(10_450);
    const searches = hubspot.requests.filter((r) => r.path.endsWith('/search'));
    const froms = new Set(
      searches.map((r) => JSON.stringify((r.body as { filterGroups: unknown }).filterGroups)),
    );
    expect(froms.size).toBe(2); // one restart
    const entry = got.state['contacts.updatedAt'] as { last_value: string; ids_at_last_value: string[] };
    expect(entry.last_value).toBe(new Date(base + 1000 + 5224).toISOString());
    expect(entry.ids_at_last_value).toEqual(['10449', '10450']);
  });
});
