/**
 * A protocol-faithful fake of Stripe's list endpoints (`GET /v1/{object}`), for the native Stripe
 * source (no Stripe can be reached here). What it reproduces from the API reference:
 * - Bearer auth with the secret key; a wrong or missing key → 401 `invalid_request_error` whose
 *   message names only the key's last four characters, as Stripe does.
 * - Lists newest first (`created` descending, ties by id descending), `limit` 1–100 (default 10;
 *   outside → 400), `starting_after` (an unknown id → 404 `resource_missing`), `created[gte|gt|lte|lt]`,
 *   answering `{object: "list", url, has_more, data}`.
 * - Rate limiting: the requests listed in `rateLimitAt` (1-based) answer 429 with `Retry-After`
 *   and Stripe's `rate_limit` error body.
 * Every request is recorded for assertions.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type StripeObject = { id: string; created: number } & Record<string, unknown>;

export interface StripeFakeOptions {
  apiKey: string;
  objects: Record<string, StripeObject[]>;
  /** 1-based request numbers that get a 429. */
  rateLimitAt?: number[];
  retryAfterSeconds?: number;
}

export interface StripeFake {
  url: string;
  requests: { method: string; path: string; query: Record<string, string>; authorization?: string }[];
  objects: Record<string, StripeObject[]>;
  close(): Promise<void>;
}

function send(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'request-id': `req_${Date.now()}`,
    ...headers,
  });
  res.end(text);
}

function stripeError(
  res: http.ServerResponse,
  status: number,
  type: string,
  message: string,
  extra = {},
  headers: Record<string, string> = {},
): void {
  send(res, status, { error: { type, message, ...extra } }, headers);
}

function matchesCreated(o: StripeObject, q: URLSearchParams): boolean {
  const c = o.created;
  const bound = (k: string) => (q.has(`created[${k}]`) ? Number(q.get(`created[${k}]`)) : undefined);
  const gte = bound('gte');
  const gt = bound('gt');
  const lte = bound('lte');
  const lt = bound('lt');
  return (
    (gte === undefined || c >= gte) &&
    (gt === undefined || c > gt) &&
    (lte === undefined || c <= lte) &&
    (lt === undefined || c < lt)
  );
}

export async function startStripeFake(opts: StripeFakeOptions): Promise<StripeFake> {
  const requests: StripeFake['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    if (opts.rateLimitAt?.includes(requests.length)) {
      // Stripe sends Retry-After on some 429s; the fake always does, so the policy's use of it shows.
      stripeError(
        res,
        429,
        'rate_limit_error',
        'Request rate limit exceeded.',
        { code: 'rate_limit' },
        { 'retry-after': String(opts.retryAfterSeconds ?? 1) },
      );
      return;
    }
    const auth = req.headers.authorization ?? '';
    const key = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (key !== opts.apiKey) {
      const shown = key
        ? `Invalid API Key provided: ${key.slice(0, 3)}*****${key.slice(-4)}`
        : 'You did not provide an API key.';
      stripeError(res, 401, 'invalid_request_error', shown);
      return;
    }
    const m = /^\/v1\/([a-z_]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      stripeError(
        res,
        404,
        'invalid_request_error',
        `Unrecognized request URL (${req.method}: ${url.pathname}).`,
      );
      return;
    }
    const object = m[1] as string;
    const all = opts.objects[object];
    if (!all) {
      stripeError(res, 404, 'invalid_request_error', `Unrecognized request URL (GET: ${url.pathname}).`);
      return;
    }
    const limit = url.searchParams.has('limit') ? Number(url.searchParams.get('limit')) : 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      stripeError(res, 400, 'invalid_request_error', 'This value must be less than or equal to 100.', {
        param: 'limit',
      });
      return;
    }
    const sorted = all
      .filter((o) => matchesCreated(o, url.searchParams))
      .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    let from = 0;
    const after = url.searchParams.get('starting_after');
    if (after) {
      const at = sorted.findIndex((o) => o.id === after);
      if (at < 0) {
        stripeError(res, 404, 'invalid_request_error', `No such ${object.replace(/s$/, '')}: '${after}'`, {
          code: 'resource_missing',
          param: 'starting_after',
        });
        return;
      }
      from = at + 1;
    }
    const data = sorted.slice(from, from + limit);
    send(res, 200, { object: 'list', url: `/v1/${object}`, has_more: from + limit < sorted.length, data });
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
