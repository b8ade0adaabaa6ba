/**
 * HubSpot CRM v3, natively. A first run lists every record (`GET /crm/v3/objects/{object}`, paged
 * with `after`); an incremental run searches (`POST .../search`) for records modified at or after
 * the position, oldest first. Search answers at most 10,000 results per query, so the reader starts
 * a new query from the last modification time it saw; the cursor drops the overlap.
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

const LIST_LIMIT = 100;
const SEARCH_LIMIT = 200;
/** HubSpot refuses `after` beyond this in a search. */
const SEARCH_WINDOW = 10_000;
const TOP_LEVEL = new Set(['id', 'createdAt', 'updatedAt', 'archived']);
const KNOWN = ['contacts', 'companies', 'deals', 'tickets', 'products', 'line_items', 'quotes'];

interface Paged {
  results: JsonRecord[];
  paging?: { next?: { after?: string } };
}

function errorText(body: unknown): string | undefined {
  const m = (body as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' ? m : undefined;
}

function asPaged(body: unknown, what: string): Paged {
  const b = body as Partial<Paged> | undefined;
  if (!b || !Array.isArray(b.results)) {
    throw new DativoError('SOURCE_PROTOCOL', `hubspot: ${what} did not answer {results: [...]}`);
  }
  return b as Paged;
}

/** The property HubSpot filters on for "modified since" (contacts predate the hs_ prefix). */
export function modifiedProperty(object: string): string {
  return object === 'contacts' ? 'lastmodifieddate' : 'hs_lastmodifieddate';
}

export function hubspotReader(client: ApiClient, fields: readonly ContractField[]): ApiReader {
  const properties = fields.map((f) => f.name).filter((n) => !TOP_LEVEL.has(n));

  async function* list(object: string, signal: AbortSignal): AsyncGenerator<JsonRecord[]> {
    let after: string | undefined;
    do {
      if (signal.aborted) return;
      const page = asPaged(
        await client.getJson(`crm/v3/objects/${object}`, {
          limit: String(LIST_LIMIT),
          properties: properties.length > 0 ? properties.join(',') : undefined,
          after,
        }),
        `GET /crm/v3/objects/${object}`,
      );
      yield page.results;
      after = page.paging?.next?.after;
    } while (after);
  }

  async function* search(
    object: string,
    since: ReadWindow,
    signal: AbortSignal,
  ): AsyncGenerator<JsonRecord[]> {
    const prop = modifiedProperty(object);
    let from = since.order;
    for (;;) {
      let after: string | undefined;
      let seen = 0;
      let last = from;
      let full = false;
      do {
        if (signal.aborted) return;
        const page = asPaged(
          await client.postJson(`crm/v3/objects/${object}/search`, {
            filterGroups: [{ filters: [{ propertyName: prop, operator: 'GTE', value: String(from) }] }],
            sorts: [{ propertyName: prop, direction: 'ASCENDING' }],
            properties,
            limit: SEARCH_LIMIT,
            ...(after ? { after } : {}),
          }),
          `POST /crm/v3/objects/${object}/search`,
        );
        yield page.results;
        seen += page.results.length;
        const t = Date.parse(String(page.results.at(-1)?.updatedAt ?? ''));
        if (!Number.isNaN(t)) last = t;
        after = page.paging?.next?.after;
        full = after !== undefined && seen + SEARCH_LIMIT > SEARCH_WINDOW;
      } while (after && !full);
      if (!full) return;
      if (last === from) {
        throw new DativoError(
          'SOURCE_PROTOCOL',
          `hubspot: more than ${SEARCH_WINDOW} ${object} share the modification time ${new Date(from).toISOString()}; the search API cannot page past them`,
        );
      }
      from = last; // a new query from the last time seen; the cursor drops the repeats
    }
  }

  return {
    name: 'hubspot',
    knownObjects: KNOWN,
    pages: (object, since, signal) => (since ? search(object, since, signal) : list(object, signal)),
    cursorOf(record, cursorField) {
      const props = (record.properties ?? {}) as JsonRecord;
      const v = record[cursorField] ?? props[cursorField];
      if (typeof v !== 'string') return undefined;
      const order = Date.parse(v);
      return Number.isNaN(order) ? undefined : { order, value: v };
    },
    valueAt: (ms) => ({ order: ms, value: new Date(ms).toISOString() }),
    toOrder: (v) => {
      const t = typeof v === 'number' ? v : Date.parse(v);
      return Number.isNaN(t) ? undefined : t;
    },
    idOf: (r) => String(r.id),
    flatten(record) {
      const props = (record.properties ?? {}) as JsonRecord;
      return {
        ...props,
        id: record.id,
        createdAt: record.createdAt,
        updatedAt: record.updatedAt,
        archived: record.archived,
      };
    },
    async probe() {
      asPaged(
        await client.getJson('crm/v3/objects/contacts', { limit: '1' }),
        'GET /crm/v3/objects/contacts',
      );
    },
  };
}

export const hubspot: ApiConnector = {
  name: 'hubspot',
  defaultBaseUrl: 'https://api.hubapi.com/',
  token: (source) =>
    credentialOf(
      source,
      ['api_key', 'hubspot_api_key', 'access_token'],
      'hubspot: no access token; set HUBSPOT_API_KEY (a private app token) or the secret hubspot_api_key',
    ),
  errorText,
  reader: hubspotReader,
};

export function createHubspotSource(
  source: ResolvedSource,
  fields: readonly ContractField[],
  contractObject: string | undefined,
  deps: ApiSourceDeps = {},
): Source {
  return createConnectorSource(source, fields, contractObject, hubspot, deps);
}
