/**
 * OAuth2 client credentials (RFC 6749 §4.4; OAuth2Mixin): fetch a token from the token endpoint
 * through the host, keep it until `expires_in − refreshMarginSec`, then refresh it (with the
 * refresh token when the server gave one, else a new client-credentials grant). A 401 from the
 * API drops the token and tries once more with a fresh one. Errors never carry the secret.
 */
import { errorRecordOf, PluginError } from './errors.js';
import type { HttpRequest, HttpResponse } from './host.js';
import { hostSend, type Send } from './send.js';

export interface OAuth2Options {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  audience?: string;
  /** Refresh this long before the token expires (default 60). */
  refreshMarginSec?: number;
  /** The token endpoint's transport (default: the host's `request`). */
  send?: Send;
  now?: () => number;
}

interface Token {
  access: string;
  refresh?: string | undefined;
  /** When to stop using it (ms, `now()` clock). */
  until: number;
}

const form = (fields: Record<string, string | undefined>) =>
  Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');

export class OAuth2ClientCredentials {
  private token: Token | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: OAuth2Options) {
    this.now = opts.now ?? Date.now;
  }

  /** A valid access token, fetched or refreshed when needed. */
  accessToken(): string {
    if (this.token && this.now() < this.token.until) return this.token.access;
    const refresh = this.token?.refresh;
    this.token = undefined;
    if (refresh) {
      try {
        this.token = this.fetchToken({ grant_type: 'refresh_token', refresh_token: refresh });
      } catch {
        // an expired or revoked refresh token: a new grant below
      }
    }
    this.token ??= this.fetchToken({
      grant_type: 'client_credentials',
      scope: this.opts.scope,
      audience: this.opts.audience,
    });
    return this.token.access;
  }

  /** `req` with `Authorization: Bearer <token>`. */
  authorize(req: HttpRequest): HttpRequest {
    return { ...req, headers: { ...req.headers, authorization: `Bearer ${this.accessToken()}` } };
  }

  /** A `send` that authorizes every request and, on a 401, retries once with a fresh token. */
  wrap(send: Send): Send {
    return (req: HttpRequest): HttpResponse => {
      const res = send(this.authorize(req));
      if (res.status !== 401) return res;
      this.token = undefined;
      return send(this.authorize(req));
    };
  }

  private fetchToken(fields: Record<string, string | undefined>): Token {
    const send = this.opts.send ?? hostSend();
    const { tokenUrl, clientId, clientSecret } = this.opts;
    // RFC 6749 §2.3.1: both parts form-encoded, then basic auth.
    const basic = btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`);
    let res: HttpResponse;
    try {
      res = send({
        method: 'POST',
        url: tokenUrl,
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form(fields),
      });
    } catch (e) {
      const r = errorRecordOf(e);
      throw new PluginError(r?.code ?? 'AUTHENTICATION_FAILED', `token endpoint ${tokenUrl}: ${r?.message ?? String(e)}`, r?.retryable ?? false);
    }
    let body: { access_token?: unknown; expires_in?: unknown; refresh_token?: unknown; error?: unknown } = {};
    try {
      body = res.json();
    } catch {
      // reported below
    }
    if (res.status !== 200 || typeof body.access_token !== 'string' || body.access_token === '') {
      const why = typeof body.error === 'string' ? ` (${body.error})` : '';
      throw new PluginError(
        'AUTHENTICATION_FAILED',
        `token endpoint ${tokenUrl} answered ${res.status}${why} for client ${clientId}: no access_token`,
        res.status >= 500 || res.status === 429,
      );
    }
    const expiresIn = Number(body.expires_in);
    const lifetimeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : 3_600_000;
    const marginMs = (this.opts.refreshMarginSec ?? 60) * 1000;
    return {
      access: body.access_token,
      refresh: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
      until: this.now() + Math.max(lifetimeMs - marginMs, lifetimeMs / 2),
    };
  }
}
