/**
 * Stripe, natively: `GET /v1/{object}` list endpoints, newest first, paged with `starting_after`,
 * filtered with `created[gte]` for incremental runs (the recipe's `created` strategy). Stripe
 * timestamps are epoch seconds; contract timestamp/date columns get ISO text for them.
 */
import type { ResolvedSource } from '../../config/types.js';
import type { ContractField } from '../../contract/model.js';
import { DativoError } from '../../errors.js';
import type { Source } from '../source.js';
import {
  type ApiConnector,
  type ApiReader,
  type ApiSourceDeps,
  createConnectorSource,
  credentialOf,
  type ReadWindow,
} from './api-source.js';
import type { ApiClient } from './http.js';
import type { JsonRecord } from './text-batch.js';

const PAGE_LIMIT = 100;
const KNOWN = [
  'customers',
  'charges',
  'invoices',
  'subscriptions',
  'products',
  'prices',
  'payment_intents',
  'refunds',
  'balance_transactions',
];

function errorText(body: unknown): string | undefined {
  const e = (body as { error?: { message?: unknown } } | undefined)?.error;
  return typeof e?.message === 'string' ? e.message : undefined;
}

interface StripeList {
  data: JsonRecord[];
  has_more: boolean;
}

function asList(body: unknown, object: string): StripeList {
  const b = body as Partial<StripeList> | undefined;
  if (!b || !Array.isArray(b.data) || typeof b.has_more !== 'boolean') {
    throw new DativoError('SOURCE_PROTOCOL', `stripe: GET /v1/${object} did not answer a list object`, {
      retryable: false,
    });
  }
  return b as StripeList;
}

/** Epoch seconds → ISO text for the contract's temporal columns. */
function temporalText(field: ContractField, v: unknown): unknown {
  if (typeof v !== 'number') return v;
  const iso = new Date(v * 1000).toISOString();
  if (field.type.kind === 'date') return iso.slice(0, 10);
  return field.type.kind === 'timestamp' ? iso : v;
}

export function stripeReader(client: ApiClient, fields: readonly ContractField[]): ApiReader {
  const temporal = fields.filter((f) => f.type.kind === 'timestamp' || f.type.kind === 'date');
  return {
    name: 'stripe',
    knownObjects: KNOWN,
    async *pages(object: string, since: ReadWindow | undefined, signal: AbortSignal) {
      let after: string | undefined;
      for (;;) {
        if (signal.aborted) return;
        const list = asList(
          await client.getJson(`v1/${object}`, {
            limit: String(PAGE_LIMIT),
            'created[gte]': since ? String(since.value) : undefined,
            starting_after: after,
          }),
          object,
        );
        yield list.data;
        const last = list.data.at(-1);
        if (!list.has_more || !last) return;
        after = String(last.id);
      }
    },
    cursorOf(record, cursorField) {
      const v = record[cursorField];
      return typeof v === 'number' ? { order: v, value: v } : undefined;
    },
    valueAt: (ms) => ({ order: Math.floor(ms / 1000), value: Math.floor(ms / 1000) }),
    toOrder: (v) => (typeof v === 'number' ? v : Number.isFinite(Number(v)) ? Number(v) : undefined),
    idOf: (r) => String(r.id),
    flatten(record) {
      const row: JsonRecord = { ...record };
      for (const f of temporal) row[f.name] = temporalText(f, record[f.name]);
      return row;
    },
    async probe() {
      asList(await client.getJson('v1/customers', { limit: '1' }), 'customers');
    },
  };
}

export const stripe: ApiConnector = {
  name: 'stripe',
  defaultBaseUrl: 'https://api.stripe.com/',
  token: (source) =>
    credentialOf(
      source,
      ['api_key', 'stripe_api_key'],
      'stripe: no API key; set STRIPE_API_KEY (or the secret manager key stripe_api_key)',
    ),
  errorText,
  reader: stripeReader,
};

export function createStripeSource(
  source: ResolvedSource,
  fields: readonly ContractField[],
  contractObject: string | undefined,
  deps: ApiSourceDeps = {},
): Source {
  return createConnectorSource(source, fields, contractObject, stripe, deps);
}
