/**
 * HTTP on someone else's behalf: only granted `host:port`s and methods, redirects followed by us
 * and re-checked against the grant, a response size cap, and retries / Retry-After / rate limits
 * applied here (a plugin has no clock). Written for plugins first; native API sources (Stripe,
 * HubSpot) reuse it with their own policy.
 */
import type { HttpPolicyConfig } from './manifest.js';

export interface HttpRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  /** The URL that finally answered (after redirects). */
  url: string;
}

export interface HttpFailure {
  code: string;
  message: string;
  retryable: boolean;
  /** Set when the failure is a policy denial (the caller audits it). */
  denied?: { capability: 'network'; resource: string };
}

export type HttpOutcome = { ok: true; response: HttpResponse } | { ok: false; error: HttpFailure };

export interface HttpClientOptions {
  /** Who is asking, for messages (plugin or connector name). */
  name: string;
  /** Lower-case `host:port` entries. */
  hosts: string[];
  policy: HttpPolicyConfig;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

/** Per request: who may cancel it, and how many response bytes the caller can hold now. */
export interface HttpCallOptions {
  /** Aborts the request, its retries and their waits (a plugin call's signal: the call ended). */
  signal?: AbortSignal;
  /** Lower than the policy's cap when the caller's budget has less room. */
  maxBytes?: number;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

/** `host:port` of a URL, with the scheme's default port; undefined for non-http(s) URLs. */
export function hostPortOf(url: URL): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return `${host}:${port}`;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createHttpClient(
  opts: HttpClientOptions,
): (req: HttpRequest, body?: Uint8Array, call?: HttpCallOptions) => Promise<HttpOutcome> {
  const doFetch = opts.fetch ?? fetch;
  const sleep = opts.sleep ?? abortableSleep;
  const now = opts.now ?? Date.now;
  const policy = opts.policy;
  const minInterval = policy.rate_per_second > 0 ? 1000 / policy.rate_per_second : 0;
  let nextSlot = 0;
  const policyMax = Math.floor(policy.max_response_mb * 1024 * 1024);

  function check(url: string, method: string): HttpFailure | URL {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return { code: 'BAD_REQUEST', message: `${opts.name}: "${url}" is not a URL`, retryable: false };
    }
    const hp = hostPortOf(u);
    if (!hp || !opts.hosts.includes(hp)) {
      return {
        code: 'PLUGIN_DENIED',
        message: `${opts.name}: network access to ${hp ?? u.protocol} denied (capability network, resource ${hp ?? url}); granted hosts: ${opts.hosts.join(', ') || 'none'}`,
        retryable: false,
        denied: { capability: 'network', resource: hp ?? url },
      };
    }
    if (!policy.methods.includes(method as (typeof policy.methods)[number])) {
      return {
        code: 'PLUGIN_DENIED',
        message: `${opts.name}: HTTP method ${method} to ${hp} denied (capability network, resource ${method} ${hp}); granted methods: ${policy.methods.join(', ')}`,
        retryable: false,
        denied: { capability: 'network', resource: `${method} ${hp}` },
      };
    }
    return u;
  }

  async function throttle(): Promise<void> {
    if (minInterval === 0) return;
    const t = now();
    const wait = nextSlot - t;
    nextSlot = Math.max(t, nextSlot) + minInterval;
    if (wait > 0) await sleep(wait);
  }

  async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array | HttpFailure> {
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await res.body?.cancel();
      return tooLarge(maxBytes);
    }
    if (!res.body) return new Uint8Array(0);
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        return tooLarge(maxBytes);
      }
      chunks.push(value);
    }
    const out = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.byteLength;
    }
    return out;
  }

  function tooLarge(maxBytes: number): HttpFailure {
    const why =
      maxBytes < policyMax
        ? `the ${maxBytes} bytes left in the memory grant (memory_mb)`
        : `the ${policy.max_response_mb} MiB allowed (max_response_mb)`;
    return {
      code: 'RESPONSE_TOO_LARGE',
      message: `${opts.name}: HTTP response larger than ${why}`,
      retryable: false,
    };
  }

  /** One exchange, following redirects ourselves so each hop is checked against the grant. */
  async function once(
    req: HttpRequest,
    body: Uint8Array | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ res: Response; url: string } | HttpFailure> {
    let method = (req.method ?? 'GET').toUpperCase();
    let url = req.url;
    let sendBody = body;
    for (let hop = 0; hop <= policy.max_redirects; hop++) {
      const checked = check(url, method);
      if (!(checked instanceof URL)) return checked;
      await throttle();
      const init: RequestInit = {
        method,
        headers: req.headers ?? {},
        redirect: 'manual',
        signal: signal
          ? AbortSignal.any([signal, AbortSignal.timeout(policy.request_timeout_ms)])
          : AbortSignal.timeout(policy.request_timeout_ms),
      };
      if (sendBody !== undefined && method !== 'GET' && method !== 'HEAD') init.body = sendBody;
      const res = await doFetch(checked, init);
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        await res.body?.cancel();
        url = new URL(res.headers.get('location') as string, checked).href;
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
          method = 'GET';
          sendBody = undefined;
        }
        continue;
      }
      return { res, url };
    }
    return {
      code: 'TOO_MANY_REDIRECTS',
      message: `${opts.name}: more than ${policy.max_redirects} redirects from ${req.url}`,
      retryable: false,
    };
  }

  return async function request(req, body, call = {}) {
    const method = (req.method ?? 'GET').toUpperCase();
    const { signal } = call;
    const maxBytes = Math.max(0, Math.min(policyMax, call.maxBytes ?? policyMax));
    let last: HttpFailure | undefined;
    for (let attempt = 0; attempt <= policy.max_retries; attempt++) {
      if (signal?.aborted) return { ok: false, error: cancelled(method, req.url) };
      let got: { res: Response; url: string } | HttpFailure;
      try {
        got = await once({ ...req, method }, body, signal);
      } catch (e) {
        if (signal?.aborted) return { ok: false, error: cancelled(method, req.url) };
        last = {
          code: 'CONNECTION_FAILED',
          message: `${opts.name}: ${method} ${req.url} failed: ${(e as Error).message}`,
          retryable: true,
        };
        if (attempt < policy.max_retries) await sleep(backoff(attempt), signal);
        continue;
      }
      if ('code' in got) return { ok: false, error: got };
      const { res, url } = got;
      const retryable = RETRY_STATUS.has(res.status) && (IDEMPOTENT.has(method) || res.status === 429);
      if (retryable && attempt < policy.max_retries) {
        const wait = retryAfterMs(res.headers.get('retry-after'), now()) ?? backoff(attempt);
        await res.body?.cancel();
        await sleep(Math.min(wait, policy.max_delay_ms), signal);
        continue;
      }
      let bodyBytes: Uint8Array | HttpFailure;
      try {
        bodyBytes = await readCapped(res, maxBytes);
      } catch (e) {
        if (signal?.aborted) return { ok: false, error: cancelled(method, req.url) };
        throw e;
      }
      if (!(bodyBytes instanceof Uint8Array)) return { ok: false, error: bodyBytes };
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => {
        headers[k] = v;
      });
      return { ok: true, response: { status: res.status, headers, body: bodyBytes, url } };
    }
    return {
      ok: false,
      error: last ?? {
        code: 'CONNECTION_FAILED',
        message: `${opts.name}: ${method} ${req.url} failed`,
        retryable: true,
      },
    };
  };

  function cancelled(method: string, url: string): HttpFailure {
    return {
      code: 'CANCELLED',
      message: `${opts.name}: ${method} ${url} cancelled: the call that made it ended`,
      retryable: false,
    };
  }

  function backoff(attempt: number): number {
    return Math.min(policy.initial_delay_ms * 2 ** attempt, policy.max_delay_ms);
  }
}
