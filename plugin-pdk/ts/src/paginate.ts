/**
 * Page after page of a REST API (PaginatedAPIReader): `paginate(req, paging)` yields pages until
 * the paging says there is no next one. A paging knows where the items are in a body and how the
 * next request differs from the last: a cursor from the body, an offset, a page number, or the
 * `Link: <…>; rel="next"` header.
 */
import { PluginError } from './errors.js';
import type { HttpRequest, HttpResponse } from './host.js';
import { hostSend, type Send, withQuery } from './send.js';

/** Where the items (or the next cursor) are: a dotted path such as "data.items", or a function of the body. */
export type Pick<T> = string | ((body: unknown) => T);

export interface Page<T> {
  items: T[];
  response: HttpResponse;
  /** 0 for the first page. */
  pageIndex: number;
}

export interface Paging<T> {
  /** The first request (e.g. with offset=0 or page=1 added). */
  first(req: HttpRequest): HttpRequest;
  /** The next request, or undefined when `page` was the last. */
  next(req: HttpRequest, page: Page<T>, body: unknown): HttpRequest | undefined;
  items(body: unknown): T[];
}

export interface PaginateOptions {
  /** Default: the host's `request` (through the grant). */
  send?: Send;
  /** Stop after this many pages even if the API has more. */
  maxPages?: number;
}

function pick<T>(body: unknown, where: Pick<T>): T | undefined {
  if (typeof where === 'function') return where(body);
  let v: unknown = body;
  for (const key of where.split('.').filter(Boolean)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v as T | undefined;
}

function itemsAt<T>(body: unknown, where: Pick<T[]>, url: string): T[] {
  const items = pick(body, where);
  if (!Array.isArray(items)) {
    const at = typeof where === 'string' ? `"${where || '(the body)'}"` : 'the items function';
    throw new PluginError('BAD_RESPONSE', `${url}: ${at} is not a list of items`);
  }
  return items;
}

/** Pages of `req` under `paging`. A status other than 2xx ends it with a PluginError naming the URL. */
export function* paginate<T>(req: HttpRequest, paging: Paging<T>, opts: PaginateOptions = {}): Generator<Page<T>> {
  const send = opts.send ?? hostSend();
  let current: HttpRequest | undefined = paging.first(req);
  for (let pageIndex = 0; current && (opts.maxPages === undefined || pageIndex < opts.maxPages); pageIndex++) {
    const response = send(current);
    if (response.status < 200 || response.status > 299) {
      const retryable = response.status === 429 || response.status >= 500;
      throw new PluginError(
        response.status === 401 || response.status === 403 ? 'AUTHENTICATION_FAILED' : 'HTTP_ERROR',
        `${current.method ?? 'GET'} ${current.url} answered ${response.status} (page ${pageIndex + 1})`,
        retryable,
      );
    }
    let body: unknown;
    try {
      body = response.json();
    } catch {
      throw new PluginError('BAD_RESPONSE', `${current.url}: the body is not JSON (page ${pageIndex + 1})`);
    }
    const page: Page<T> = { items: paging.items(body), response, pageIndex };
    yield page;
    current = paging.next(current, page, body);
  }
}

/** A cursor the body carries (`nextCursor`), sent back as `cursorParam`; an empty or absent cursor ends. */
export function cursorPaging<T>(o: { cursorParam?: string; nextCursor: Pick<string | null>; items: Pick<T[]> }): Paging<T> {
  const param = o.cursorParam ?? 'cursor';
  return {
    first: (req) => req,
    items: (body) => itemsAt(body, o.items, 'response'),
    next(req, _page, body) {
      const cursor = pick(body, o.nextCursor);
      return cursor === undefined || cursor === null || cursor === '' ? undefined : withQuery(req, { [param]: String(cursor) });
    },
  };
}

/** `?offset=&limit=`; a page shorter than `limit` is the last. */
export function offsetPaging<T>(o: {
  limit: number;
  items: Pick<T[]>;
  offsetParam?: string;
  limitParam?: string;
  start?: number;
}): Paging<T> {
  const offsetParam = o.offsetParam ?? 'offset';
  const limitParam = o.limitParam ?? 'limit';
  let offset = o.start ?? 0;
  return {
    first: (req) => withQuery(req, { [offsetParam]: offset, [limitParam]: o.limit }),
    items: (body) => itemsAt(body, o.items, 'response'),
    next(req, page) {
      if (page.items.length < o.limit) return undefined;
      offset += page.items.length;
      return withQuery(req, { [offsetParam]: offset, [limitParam]: o.limit });
    },
  };
}

/** `?page=1,2,…`; an empty page (or, with `pageSize`, a short one) is the last. */
export function pagePaging<T>(o: {
  items: Pick<T[]>;
  pageParam?: string;
  start?: number;
  pageSizeParam?: string;
  pageSize?: number;
}): Paging<T> {
  const pageParam = o.pageParam ?? 'page';
  const size = o.pageSize !== undefined && o.pageSizeParam ? { [o.pageSizeParam]: o.pageSize } : {};
  let page = o.start ?? 1;
  return {
    first: (req) => withQuery(req, { [pageParam]: page, ...size }),
    items: (body) => itemsAt(body, o.items, 'response'),
    next(req, p) {
      if (p.items.length === 0 || (o.pageSize !== undefined && p.items.length < o.pageSize)) return undefined;
      page += 1;
      return withQuery(req, { [pageParam]: page, ...size });
    },
  };
}

/**
 * `Link` header relations (RFC 8288) → URL, resolved against `base` when given. Hand-written: the
 * npm parsers need Node's `querystring`, which a component does not have.
 */
export function parseLinkHeader(value: string | undefined, base?: string): Record<string, string> {
  const links: Record<string, string> = {};
  if (!value) return links;
  for (const m of value.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const target = m[1] as string;
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(m[2] ?? '');
    const names = (rel?.[1] ?? rel?.[2] ?? '').split(/\s+/).filter(Boolean);
    for (const name of names) links[name.toLowerCase()] ??= base ? new URL(target, base).toString() : target;
  }
  return links;
}

/** Follows `Link: <url>; rel="next"`; no `next` is the last page. */
export function linkPaging<T>(o: { items: Pick<T[]> }): Paging<T> {
  return {
    first: (req) => req,
    items: (body) => itemsAt(body, o.items, 'response'),
    next(req, page) {
      const next = parseLinkHeader(page.response.headers.link, req.url).next;
      return next ? { ...req, url: next } : undefined;
    },
  };
}
