/**
 * A protocol-faithful fake of HubSpot's CRM v3 object endpoints, for the native HubSpot source (no
 * HubSpot can be reached here). What it reproduces from the API reference:
 * - Bearer auth with a private app token; otherwise 401 `{status: "error", category:
 *   "INVALID_AUTHENTICATION", message}`.
 * - `GET /crm/v3/objects/{object}?limit&after&properties=a,b`: records in id order, `limit` ≤ 100,
 *   `after` an opaque cursor, only the requested properties (plus `hs_object_id`, `createdate` and
 *   the modification property, which HubSpot always returns), `paging.next.after` while more remain.
 * - `POST /crm/v3/objects/{object}/search` with one filter group of `GTE`/`GT`/`LT`/`LTE`/`EQ`
 *   filters on a property, `sorts` on one property, `limit` ≤ 200, `after`: answers `{total,
 *   results, paging}`; paging past 10,000 results → 400 like HubSpot.
 * - Rate limiting: the requests listed in `rateLimitAt` (1-based) answer 429 with HubSpot's
 *   `RATE_LIMITS` body and a `Retry-After`.
 * Records carry `updatedAt` (ISO, ms) mirrored in the modification property (epoch-ms text in
 * filters, ISO in properties), as HubSpot does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubspotRecord {
  id: string;
  createdAt: string;
  updatedAt: string;
  archived?: boolean;
  properties: Record<string, string | null>;
}

export interface HubspotFakeOptions {
  token: string;
  objects: Record<string, HubspotRecord[]>;
  rateLimitAt?: number[];
  retryAfterSeconds?: number;
}

export interface HubspotFake {
  url: string;
  requests: { method: string; path: string; query: Record<string, string>; body?: unknown }[];
  objects: Record<string, HubspotRecord[]>;
  close(): Promise<void>;
}

const SEARCH_MAX = 10_000;

function send(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function hsError(
  res: http.ServerResponse,
  status: number,
  category: string,
  message: string,
  headers = {},
): void {
  send(res, status, { status: 'error', message, correlationId: 'fake', category }, headers);
}

function modifiedProp(object: string): string {
  return object === 'contacts' ? 'lastmodifieddate' : 'hs_lastmodifieddate';
}

/** A property's value for filtering and sorting: dates compare as epoch ms. */
function propValue(r: HubspotRecord, object: string, name: string): string | number | null {
  if (name === modifiedProp(object)) return Date.parse(r.updatedAt);
  if (name === 'createdate') return Date.parse(r.createdAt);
  if (name === 'hs_object_id') return Number(r.id);
  return r.properties[name] ?? null;
}

function view(r: HubspotRecord, object: string, wanted: string[]): Record<string, unknown> {
  const props: Record<string, string | null> = {
    hs_object_id: r.id,
    createdate: r.createdAt,
    [modifiedProp(object)]: r.updatedAt,
  };
  for (const p of wanted) if (!(p in props)) props[p] = r.properties[p] ?? null;
  return {
    id: r.id,
    properties: props,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    archived: r.archived ?? false,
  };
}

interface Filter {
  propertyName: string;
  operator: string;
  value: string;
}

function passes(r: HubspotRecord, object: string, f: Filter): boolean {
  const v = propValue(r, object, f.propertyName);
  if (v === null) return false;
  const want = typeof v === 'number' ? Number(f.value) : f.value;
  switch (f.operator) {
    case 'GTE':
      return v >= want;
    case 'GT':
      return v > want;
    case 'LTE':
      return v <= want;
    case 'LT':
      return v < want;
    case 'EQ':
      return v === want;
    default:
      return false;
  }
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startHubspotFake(opts: HubspotFakeOptions): Promise<HubspotFake> {
  const requests: HubspotFake['requests'] = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const raw = req.method === 'POST' ? await readBody(req) : '';
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      hsError(res, 400, 'VALIDATION_ERROR', 'Invalid input JSON');
      return;
    }
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
    });
    if (opts.rateLimitAt?.includes(requests.length)) {
      send(
        res,
        429,
        {
          status: 'error',
          message: 'You have reached your secondly limit.',
          errorType: 'RATE_LIMIT',
          policyName: 'SECONDLY',
          category: 'RATE_LIMITS',
        },
        { 'retry-after': String(opts.retryAfterSeconds ?? 1) },
      );
      return;
    }
    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      hsError(res, 401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found.');
      return;
    }
    const m = /^\/crm\/v3\/objects\/([a-z_]+)(\/search)?$/.exec(url.pathname);
    const object = m?.[1];
    const all = object ? opts.objects[object] : undefined;
    if (!m || !object || !all) {
      hsError(res, 404, 'OBJECT_NOT_FOUND', `Unable to infer object type from: ${object ?? url.pathname}`);
      return;
    }
    if (!m[2] && req.method === 'GET') {
      const limit = Number(url.searchParams.get('limit') ?? 10);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        hsError(res, 400, 'VALIDATION_ERROR', 'limit must be between 1 and 100');
        return;
      }
      const wanted = (url.searchParams.get('properties') ?? '').split(',').filter(Boolean);
      const sorted = [...all].sort((a, b) => Number(a.id) - Number(b.id));
      const from = Number(url.searchParams.get('after') ?? 0);
      const page = sorted.slice(from, from + limit);
      const next =
        from + limit < sorted.length ? { paging: { next: { after: String(from + limit), link: '' } } } : {};
      send(res, 200, { results: page.map((r) => view(r, object, wanted)), ...next });
      return;
    }
    if (m[2] && req.method === 'POST') {
      const b = (body ?? {}) as {
        filterGroups?: { filters: Filter[] }[];
        sorts?: { propertyName: string; direction: string }[];
        properties?: string[];
        limit?: number;
        after?: string;
      };
      const limit = b.limit ?? 10;
      if (limit < 1 || limit > 200) {
        hsError(res, 400, 'VALIDATION_ERROR', 'limit must be between 1 and 200');
        return;
      }
      const from = Number(b.after ?? 0);
      if (from + limit > SEARCH_MAX) {
        hsError(res, 400, 'VALIDATION_ERROR', `paging past ${SEARCH_MAX} results is not supported`);
        return;
      }
      const groups = b.filterGroups ?? [];
      const hits = all.filter(
        (r) => groups.length === 0 || groups.some((g) => g.filters.every((f) => passes(r, object, f))),
      );
      const sort = b.sorts?.[0];
      if (sort) {
        const dir = sort.direction === 'DESCENDING' ? -1 : 1;
        hits.sort((x, y) => {
          const a = propValue(x, object, sort.propertyName) ?? '';
          const c = propValue(y, object, sort.propertyName) ?? '';
          return (a < c ? -1 : a > c ? 1 : Number(x.id) - Number(y.id)) * dir;
        });
      }
      const page = hits.slice(from, from + limit);
      const more = from + limit < hits.length;
      send(res, 200, {
        total: hits.length,
        results: page.map((r) => view(r, object, b.properties ?? [])),
        ...(more ? { paging: { next: { after: String(from + limit) } } } : {}),
      });
      return;
    }
    hsError(res, 405, 'VALIDATION_ERROR', `${req.method} not allowed on ${url.pathname}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    objects: opts.objects,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
