/**
 * A local JSON API with pagination, for HTTP reader plugins: `total` generated records served
 * `page_size` at a time, by cursor (`?cursor=` → `next_cursor`) or by page number (`?page=&per_page=`),
 * with scripted failures (e.g. one 429 with Retry-After on the third request) so tests can prove that
 * the host, not the plugin, retries.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiRecord {
  id: number;
  name: string;
  amount: number;
  active: boolean;
  /** null for every 7th record, to exercise validity bitmaps. */
  note: string | null;
  created_at: string;
}

/** The record with this 1-based id: a pure function, so tests can compute expected values. */
export function apiRecord(id: number): ApiRecord {
  const ms = Date.UTC(2024, 0, 1) + id * 60_000;
  return {
    id,
    name: `name-${id}`,
    amount: Math.round(id * 1.25 * 100) / 100,
    active: id % 3 !== 0,
    note: id % 7 === 0 ? null : `note "${id}" ü`,
    created_at: new Date(ms).toISOString().replace('.000Z', 'Z'),
  };
}

export interface PaginatedServerOptions {
  total: number;
  /** Records per page unless the request says `per_page`. */
  pageSize?: number;
  /** 1-based request numbers answered with this status instead (once each). */
  failOn?: Record<number, { status: number; retryAfter?: string }>;
  /** Path the data is served under. */
  path?: string;
}

export interface PaginatedServer {
  url: string;
  /** `127.0.0.1:<port>`, as a manifest's network host. */
  hostPort: string;
  /** Every request received, in order (path + query), including the failed ones. */
  requests: string[];
  /** Status codes answered, in order. */
  statuses: number[];
  close(): Promise<void>;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export async function startPaginatedServer(opts: PaginatedServerOptions): Promise<PaginatedServer> {
  const base = opts.path ?? '/records';
  const requests: string[] = [];
  const statuses: number[] = [];
  const failOn = new Map(Object.entries(opts.failOn ?? {}).map(([k, v]) => [Number(k), v]));

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requests.push(req.url ?? '');
    const n = requests.length;
    const fail = failOn.get(n);
    if (fail) {
      failOn.delete(n);
      statuses.push(fail.status);
      send(
        res,
        fail.status,
        { error: 'scripted failure' },
        fail.retryAfter ? { 'retry-after': fail.retryAfter } : {},
      );
      return;
    }
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (u.pathname !== base) {
      statuses.push(404);
      send(res, 404, { error: `no route ${u.pathname}` });
      return;
    }
    const size = Number(u.searchParams.get('per_page') ?? opts.pageSize ?? 100);
    // Cursor mode: the cursor is an opaque string holding the next offset; page mode: 1-based pages.
    const cursor = u.searchParams.get('cursor');
    const page = u.searchParams.get('page');
    let offset = 0;
    if (cursor) offset = Number(Buffer.from(cursor, 'base64url').toString('utf8').replace('o:', ''));
    else if (page) offset = (Number(page) - 1) * size;
    const end = Math.min(opts.total, offset + size);
    const data: ApiRecord[] = [];
    for (let id = offset + 1; id <= end; id++) data.push(apiRecord(id));
    const next = end < opts.total ? Buffer.from(`o:${end}`).toString('base64url') : null;
    statuses.push(200);
    send(res, 200, { data, meta: { next_cursor: next, total: opts.total } });
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${base}`,
    hostPort: `127.0.0.1:${port}`,
    requests,
    statuses,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
