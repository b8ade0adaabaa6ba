/**
 * The Iceberg REST catalog client (Nessie, Polaris, Gravitino, Lakekeeper, Tabular-style servers,
 * and our own `server.ts`). It speaks the OpenAPI protocol with `fetch` directly rather than
 * through iceberg-js 0.8.1, for two reasons: iceberg-js's `updateTable` models only
 * schema/spec/properties, not the commit protocol's `requirements` + `updates`, and it parses
 * responses with `JSON.parse`, which rounds 64-bit snapshot ids. (iceberg-js serves in the tests
 * as an independent client of our server.)
 *
 * Error mapping for commits follows the Java client: 409 → CommitConflictError (reload, rebase,
 * retry); 500/502/503/504, a timeout or a dropped connection → CommitStateUnknownError (reload and
 * look for the run id before retrying). Anything else is a DativoError with the HTTP status and the
 * server's message; tokens and client secrets are masked out of every message.
 */
import { DativoError, type ErrorCode } from '../../errors.js';
import { masker } from '../../secrets/masker.js';
import {
  type Catalog,
  CommitConflictError,
  CommitStateUnknownError,
  type CreateTableRequest,
  type LoadedTable,
  type TableIdent,
  type TableRequirement,
  type TableUpdate,
} from '../catalog.js';
import { parseJson, stringifyJson } from '../json.js';
import { normalizeTableMetadata } from '../metadata.js';
import { basePath, encodeNamespace, readErrorBody, tablePath } from './http.js';
import { clientCredentials, type TokenSource } from './oauth.js';

export interface RestCatalogOptions {
  /** The catalog's base URI, without `/v1` (e.g. `http://nessie:19120/iceberg`). */
  uri: string;
  /** Sent as `?warehouse=` to `/v1/config`; the server may answer with a prefix for it. */
  warehouse?: string;
  /** A bearer token. */
  token?: string;
  /** OAuth2 client credentials `<client_id>:<client_secret>`, exchanged for a token. */
  credential?: string;
  /** OAuth2 scope for the credential exchange (default `catalog`). */
  scope?: string;
  /** Token endpoint; default `<uri>/v1/oauth/tokens` or the server's `oauth2-server-uri`. */
  oauth2ServerUri?: string;
  /** Path prefix; the server's `/v1/config` overrides it when it sends one. */
  prefix?: string;
  /** Extra headers on every request (e.g. a tenant header some servers require). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** Per-request timeout (default 30 s). A commit that times out is CommitStateUnknownError. */
  timeoutMs?: number;
}

export interface RestCatalog extends Catalog {
  readonly kind: 'rest';
  /** The catalog properties after merging the server's defaults and overrides (config endpoint). */
  config(): Promise<Record<string, string>>;
}

interface Session {
  base: string;
  prefix: string | undefined;
  props: Record<string, string>;
}

type Op = 'config' | 'namespace' | 'load' | 'create' | 'commit';

/** What a failed request means, by operation: commits and creates have their own error types. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string | undefined,
    readonly serverMessage: string | undefined,
  ) {
    super(`HTTP ${status}`);
  }
}

class TransportError extends Error {
  constructor(
    message: string,
    /** True when the request certainly did not reach the server (connection refused, DNS). */
    readonly notSent: boolean,
  ) {
    super(message);
  }
}

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createRestCatalog(opts: RestCatalogOptions): RestCatalog {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const rootUri = opts.uri.replace(/\/+$/, '').replace(/\/v1$/, '');
  if (opts.token) masker.register(opts.token);
  let tokens: TokenSource | undefined;
  let session: Promise<Session> | undefined;
  const knownNamespaces = new Set<string>();

  const where = (path: string) => `${rootUri}${path}`.replace(/\?.*$/, '');

  async function authHeader(): Promise<Record<string, string>> {
    if (opts.token) return { authorization: `Bearer ${opts.token}` };
    if (tokens) return { authorization: `Bearer ${await tokens.token()}` };
    return {};
  }

  /** One request; returns the parsed body, throws HttpError or TransportError. */
  async function request(
    base: string,
    method: string,
    path: string,
    body?: unknown,
    retried = false,
  ): Promise<unknown> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...opts.headers,
          ...(await authHeader()),
        },
        ...(body === undefined ? {} : { body: stringifyJson(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      if (e instanceof DativoError) throw e; // from the token exchange
      const err = e as Error & { cause?: { code?: string } };
      const code = err.cause?.code;
      const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
      throw new TransportError(
        timedOut ? `no answer within ${timeoutMs} ms` : `${err.message}${code ? ` (${code})` : ''}`,
        !timedOut && code !== undefined && NOT_SENT.has(code),
      );
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new TransportError(`the response was cut off: ${(e as Error).message}`, false);
    }
    if (res.status === 401 && tokens && !retried) {
      tokens.invalidate(); // an expired token: fetch a fresh one once
      return request(base, method, path, body, true);
    }
    let parsed: unknown;
    if (text) {
      try {
        parsed = parseJson(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) {
      const { message, type } = readErrorBody(parsed);
      throw new HttpError(res.status, type, message ?? (text.slice(0, 300) || res.statusText));
    }
    return parsed;
  }

  function fail(op: Op, method: string, path: string, e: unknown): never {
    if (e instanceof DativoError) throw e;
    const what = `REST catalog ${method} ${where(path)}`;
    if (e instanceof TransportError) {
      if ((op === 'commit' || op === 'create') && !e.notSent) {
        throw new CommitStateUnknownError(
          masker.mask(`${what}: ${e.message}; the commit may or may not have landed`),
        );
      }
      throw new DativoError('CONNECTION_FAILED', masker.mask(`${what} failed: ${e.message}`), {
        retryable: true,
      });
    }
    if (e instanceof HttpError) {
      const detail = `HTTP ${e.status}${e.type ? ` ${e.type}` : ''}${e.serverMessage ? `: ${e.serverMessage}` : ''}`;
      if ((op === 'commit' || op === 'create') && e.status === 409) {
        throw new CommitConflictError(masker.mask(`${what}: ${detail}`));
      }
      if ((op === 'commit' || op === 'create') && [500, 502, 503, 504].includes(e.status)) {
        throw new CommitStateUnknownError(
          masker.mask(`${what}: ${detail}; the commit may or may not have landed`),
        );
      }
      const code: ErrorCode =
        e.status === 401 || e.status === 403
          ? 'AUTHENTICATION_FAILED'
          : op === 'commit' || op === 'create'
            ? 'COMMIT_FAILED'
            : 'CONNECTION_FAILED';
      throw new DativoError(code, masker.mask(`${what} failed: ${detail}`), {
        retryable: e.status >= 500 || e.status === 429,
        details: { status: e.status, ...(e.type ? { type: e.type } : {}) },
      });
    }
    throw e;
  }

  async function call(op: Op, method: string, path: string, body?: unknown): Promise<unknown> {
    const s = await connect();
    try {
      return await request(s.base, method, path, body);
    } catch (e) {
      fail(op, method, path, e);
    }
  }

  /** GET /v1/config once: defaults < client properties < overrides; `prefix` and `uri` from it. */
  function connect(): Promise<Session> {
    session ??= (async () => {
      const clientProps: Record<string, string> = {
        ...(opts.warehouse ? { warehouse: opts.warehouse } : {}),
        ...(opts.prefix ? { prefix: opts.prefix } : {}),
      };
      if (opts.credential && !opts.token) {
        tokens = clientCredentials({
          tokenUri: opts.oauth2ServerUri ?? `${rootUri}/v1/oauth/tokens`,
          credential: opts.credential,
          ...(opts.scope ? { scope: opts.scope } : {}),
          fetch: doFetch,
          timeoutMs,
        });
      }
      const path = `/v1/config${opts.warehouse ? `?warehouse=${encodeURIComponent(opts.warehouse)}` : ''}`;
      let cfg: unknown;
      try {
        cfg = await request(rootUri, 'GET', path);
      } catch (e) {
        fail('config', 'GET', path, e);
      }
      const { defaults, overrides } = (cfg ?? {}) as { defaults?: unknown; overrides?: unknown };
      const props = { ...stringProps(defaults), ...clientProps, ...stringProps(overrides) };
      const base = props.uri ? props.uri.replace(/\/+$/, '').replace(/\/v1$/, '') : rootUri;
      return { base, prefix: props.prefix, props };
    })().catch((e) => {
      session = undefined; // a failed handshake is retried by the next call
      throw e;
    });
    return session;
  }

  async function ensureNamespace(namespace: string[]): Promise<void> {
    const key = namespace.join('\u001f');
    if (knownNamespaces.has(key)) return;
    const { prefix } = await connect();
    // create each missing level, outermost first (some servers need the parent to exist)
    for (let depth = 1; depth <= namespace.length; depth++) {
      const level = namespace.slice(0, depth);
      const path = `${basePath(prefix)}/namespaces/${encodeNamespace(level)}`;
      try {
        await call('namespace', 'GET', path);
        continue;
      } catch (e) {
        if (!(e instanceof DativoError && e.details?.status === 404)) throw e;
      }
      const createPath = `${basePath(prefix)}/namespaces`;
      try {
        await call('namespace', 'POST', createPath, { namespace: level, properties: {} });
      } catch (e) {
        // created by someone else in between: fine
        if (!(e instanceof DativoError && e.details?.status === 409)) throw e;
      }
    }
    knownNamespaces.add(key);
  }

  return {
    kind: 'rest',

    async config() {
      return (await connect()).props;
    },

    async loadTable(id: TableIdent): Promise<LoadedTable | undefined> {
      const { prefix } = await connect();
      try {
        return toLoaded(await call('load', 'GET', tablePath(prefix, id.namespace, id.name)));
      } catch (e) {
        if (e instanceof DativoError && e.details?.status === 404) return undefined;
        throw e;
      }
    },

    async createTable(id: TableIdent, req: CreateTableRequest): Promise<LoadedTable> {
      await ensureNamespace(id.namespace);
      const { prefix } = await connect();
      const body = { ...req, name: id.name };
      return toLoaded(await call('create', 'POST', tablePath(prefix, id.namespace), body));
    },

    async commitTable(
      id: TableIdent,
      requirements: TableRequirement[],
      updates: TableUpdate[],
    ): Promise<LoadedTable> {
      const { prefix } = await connect();
      const body = { identifier: { namespace: id.namespace, name: id.name }, requirements, updates };
      return toLoaded(await call('commit', 'POST', tablePath(prefix, id.namespace, id.name), body));
    },
  };
}

function stringProps(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  }
  return out;
}

/** `LoadTableResult` / `CommitTableResponse` → LoadedTable. */
function toLoaded(body: unknown): LoadedTable {
  const b = (body ?? {}) as { 'metadata-location'?: unknown; metadata?: unknown };
  if (typeof b['metadata-location'] !== 'string' || !b.metadata || typeof b.metadata !== 'object') {
    throw new DativoError(
      'COMMIT_FAILED',
      'the REST catalog answered without metadata-location and metadata: not an Iceberg REST catalog response',
    );
  }
  try {
    // snapshot ids as bigint, whatever size the server's JSON literals had
    return { metadataLocation: b['metadata-location'], metadata: normalizeTableMetadata(b.metadata) };
  } catch (e) {
    throw new DativoError(
      'COMMIT_FAILED',
      `the REST catalog returned table metadata Dativo cannot use (${b['metadata-location']}): ${(e as Error).message}`,
      { cause: e },
    );
  }
}
