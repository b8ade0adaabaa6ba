/**
 * OAuth2 client credentials for REST catalogs (`credential: "<client_id>:<client_secret>"`, or a
 * bare secret), exchanged at `/v1/oauth/tokens` or the catalog's `oauth2-server-uri`. The token is
 * cached until shortly before it expires, and both values are registered with the masker.
 */
import { DativoError } from '../../errors.js';
import { masker } from '../../secrets/masker.js';
import { readErrorBody } from './http.js';

export interface TokenSource {
  /** The current bearer token (fetching or refreshing it when needed). */
  token(): Promise<string>;
  /** Forget the cached token (after a 401, so the next call fetches a fresh one). */
  invalidate(): void;
}

/** Refresh this long before the server's expiry, so a token never lapses mid-request. */
const EXPIRY_MARGIN_MS = 60_000;

export function clientCredentials(opts: {
  tokenUri: string;
  credential: string;
  scope?: string;
  fetch: typeof fetch;
  timeoutMs: number;
}): TokenSource {
  const colon = opts.credential.indexOf(':');
  const clientId = colon >= 0 ? opts.credential.slice(0, colon) : undefined;
  const clientSecret = colon >= 0 ? opts.credential.slice(colon + 1) : opts.credential;
  masker.register(clientSecret);
  masker.register(opts.credential);
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_secret: clientSecret });
    if (clientId !== undefined) form.set('client_id', clientId);
    form.set('scope', opts.scope ?? 'catalog');
    let res: Response;
    try {
      res = await opts.fetch(opts.tokenUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
    } catch (e) {
      throw new DativoError(
        'CONNECTION_FAILED',
        `cannot reach the OAuth2 token endpoint ${opts.tokenUri}: ${(e as Error).message}`,
        { retryable: true, cause: e },
      );
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const b = (body ?? {}) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
    if (!res.ok || typeof b.access_token !== 'string') {
      // OAuth errors are `{error: "invalid_client", error_description}`; REST ones the error model
      const oauthError =
        typeof b.error === 'string'
          ? `${b.error}${typeof (b as { error_description?: unknown }).error_description === 'string' ? `: ${(b as { error_description: string }).error_description}` : ''}`
          : readErrorBody(body).message;
      throw new DativoError(
        res.status === 401 || res.status === 403 || res.status === 400
          ? 'AUTHENTICATION_FAILED'
          : 'CONNECTION_FAILED',
        masker.mask(
          `the OAuth2 token endpoint ${opts.tokenUri} refused the client credentials (HTTP ${res.status}${oauthError ? `: ${oauthError}` : ''})`,
        ),
        { retryable: res.status >= 500, details: { status: res.status } },
      );
    }
    masker.register(b.access_token);
    const ttl = typeof b.expires_in === 'number' ? b.expires_in * 1000 : 3_600_000;
    cached = { token: b.access_token, expiresAt: Date.now() + Math.max(ttl - EXPIRY_MARGIN_MS, ttl / 2) };
    return b.access_token;
  }

  return {
    async token() {
      if (cached && Date.now() < cached.expiresAt) return cached.token;
      pending ??= fetchToken().finally(() => {
        pending = undefined;
      });
      return pending;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
