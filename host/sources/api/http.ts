/**
 * HTTP for native API sources: the plugin host's policy client (granted host only, retries with
 * Retry-After, rate limit, response cap), configured from the recipe's `rate_limits`, plus JSON
 * in and out and errors a user can act on. The API key travels in a header and is never part of a
 * message (the masker knows it; messages quote the API's own error text, never our request).
 */
import type { ResolvedSource } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import { createHttpClient, type HttpResponse, hostPortOf } from '../../plugins/http-policy.js';
import { httpPolicySchema } from '../../plugins/manifest.js';
import { masker } from '../../secrets/masker.js';

export interface ApiClient {
  readonly baseUrl: URL;
  getJson(path: string, query?: Record<string, string | string[] | undefined>): Promise<unknown>;
  postJson(path: string, body: unknown): Promise<unknown>;
}

export interface ApiClientOptions {
  /** Connector name for messages ("stripe"). */
  name: string;
  defaultBaseUrl: string;
  /** Headers every request carries (auth). */
  headers: Record<string, string>;
  /** Reads the API's error text from an error body. */
  errorText: (body: unknown) => string | undefined;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The HTTP policy from the recipe's `rate_limits` (job values over `*_default`). */
export function policyFromRateLimits(rateLimits: unknown) {
  const r = (typeof rateLimits === 'object' && rateLimits !== null ? rateLimits : {}) as Record<
    string,
    unknown
  >;
  const retry = (typeof r.retry === 'object' && r.retry !== null ? r.retry : {}) as Record<string, unknown>;
  const rps = num(r.rps) ?? num(r.rps_default) ?? 0;
  const maxBackoff = num(retry.max_backoff_seconds);
  return httpPolicySchema.parse({
    methods: ['GET', 'POST'],
    rate_per_second: rps,
    max_retries: Math.min(10, num(retry.max_retries) ?? 5),
    initial_delay_ms: 500,
    ...(maxBackoff !== undefined ? { max_delay_ms: maxBackoff * 1000 } : {}),
    max_response_mb: 64,
  });
}

export function baseUrlOf(source: ResolvedSource, fallback: string): URL {
  const conn = source.config.connection as Record<string, unknown> | undefined;
  const raw = typeof conn?.base_url === 'string' ? conn.base_url : fallback;
  try {
    return new URL(raw.endsWith('/') ? raw : `${raw}/`);
  } catch {
    throw new DativoError('CONFIG_INVALID', `"${raw}" is not a URL`, {
      location: { keyPath: 'source.connection.base_url' },
    });
  }
}

export function createApiClient(source: ResolvedSource, opts: ApiClientOptions): ApiClient {
  const baseUrl = baseUrlOf(source, opts.defaultBaseUrl);
  const request = createHttpClient({
    name: opts.name,
    hosts: [hostPortOf(baseUrl) ?? ''],
    policy: policyFromRateLimits(source.config.rate_limits),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
  });

  async function exchange(method: string, path: string, url: URL, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    let payload: Uint8Array | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = new TextEncoder().encode(JSON.stringify(body));
    }
    const outcome = await request({ method, url: url.href, headers }, payload);
    if (!outcome.ok) {
      const code = outcome.error.retryable ? 'CONNECTION_FAILED' : 'SOURCE_HTTP_ERROR';
      throw new DativoError(code, masker.mask(outcome.error.message), {
        retryable: outcome.error.retryable,
      });
    }
    return parseResponse(method, path, outcome.response);
  }

  function parseResponse(method: string, path: string, res: HttpResponse): unknown {
    const text = new TextDecoder().decode(res.body);
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.status >= 200 && res.status < 300) {
      if (json === undefined) {
        throw new DativoError(
          'SOURCE_PROTOCOL',
          `${opts.name}: ${method} ${path} answered ${res.status} without a JSON body`,
          { retryable: true },
        );
      }
      return json;
    }
    const why = opts.errorText(json) ?? text.slice(0, 200);
    const code =
      res.status === 401 || res.status === 403
        ? 'AUTHENTICATION_FAILED'
        : res.status === 404
          ? 'SOURCE_NOT_FOUND'
          : 'SOURCE_HTTP_ERROR';
    const retryable = res.status === 429 || res.status >= 500;
    throw new DativoError(
      code,
      masker.mask(`${opts.name}: ${method} ${path} failed with HTTP ${res.status}: ${why}`),
      { retryable },
    );
  }

  return {
    baseUrl,
    async getJson(path, query = {}) {
      const url = new URL(path, baseUrl);
      for (const [k, v] of Object.entries(query)) {
        if (v === undefined) continue;
        for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, one);
      }
      return exchange('GET', path, url);
    },
    async postJson(path, body) {
      return exchange('POST', path, new URL(path, baseUrl), body);
    },
  };
}
