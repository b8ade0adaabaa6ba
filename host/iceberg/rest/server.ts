/**
 * A small Iceberg REST catalog server (hono) in front of any `Catalog` — in practice the
 * filesystem catalog over S3 conditional writes — for the tests and for users who want a REST
 * catalog without a JVM. It implements the routes a writer and a reader need: config, OAuth2
 * client credentials, namespaces, create/load/commit table. The commit's atomicity is the backing
 * catalog's; this server adds no state of its own beyond the namespaces and tables it has seen.
 *
 * Errors use the spec's error model and the status codes Java clients expect: 409 for a failed
 * requirement or an existing table, 404 for a missing table or namespace, 500 when the backing
 * catalog cannot say whether a commit landed, 503 when it is unreachable.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { DativoError } from '../../errors.js';
import {
  type Catalog,
  CommitConflictError,
  CommitStateUnknownError,
  type CreateTableRequest,
  type LoadedTable,
  NoSuchTableError,
  type TableIdent,
  type TableRequirement,
  type TableUpdate,
} from '../catalog.js';
import type { FilesystemCatalog } from '../fs-catalog.js';
import { parseJson, stringifyJson } from '../json.js';
import { InvalidUpdateError } from '../updates.js';
import { decodeNamespace, type RestErrorBody } from './http.js';
import { memoryNamespaces, type NamespaceRegistry, nsKey, warehouseNamespaces } from './namespaces.js';

export interface RestCatalogServerOptions {
  catalog: Catalog;
  /** Require `Authorization: Bearer <token>` on every catalog route. */
  token?: string;
  /** Accept OAuth2 client credentials `<id>:<secret>` at /v1/oauth/tokens, issuing `token`. */
  credential?: string;
  /** Served in /v1/config `overrides.prefix`; the routes then live under /v1/<prefix>/. */
  prefix?: string;
  /** Catalog properties served as /v1/config `defaults` (e.g. `warehouse`). */
  defaults?: Record<string, string>;
  /**
   * The warehouse's FileIO properties (`s3.endpoint`, `s3.path-style-access`, `client.region`;
   * never credentials), in /v1/config defaults and every load-table `config`, so engines reach the
   * object store without hand configuration.
   */
  fileIo?: Record<string, string>;
  /** Where namespaces are kept (default: the warehouse of a filesystem catalog, else memory). */
  namespaces?: NamespaceRegistry;
}

export interface StartOptions extends RestCatalogServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningRestCatalog {
  /** Base URI for clients (without /v1). */
  url: string;
  close(): Promise<void>;
}

type ListingCatalog = Catalog & { listTables(namespace: string[]): Promise<TableIdent[]> };

type ErrorStatus = 400 | 401 | 404 | 406 | 409 | 422 | 500 | 503;

/** The routes this server implements, as /v1/config `endpoints` lists them (REST spec format). */
export const ENDPOINTS = [
  'GET /v1/{prefix}/namespaces',
  'POST /v1/{prefix}/namespaces',
  'GET /v1/{prefix}/namespaces/{namespace}',
  'HEAD /v1/{prefix}/namespaces/{namespace}',
  'DELETE /v1/{prefix}/namespaces/{namespace}',
  'POST /v1/{prefix}/namespaces/{namespace}/properties',
  'GET /v1/{prefix}/namespaces/{namespace}/tables',
  'POST /v1/{prefix}/namespaces/{namespace}/tables',
  'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'POST /v1/{prefix}/tables/rename',
] as const;

function json(c: Context, body: unknown, status: 200 | ErrorStatus = 200): Response {
  return c.body(stringifyJson(body), status, { 'content-type': 'application/json' });
}

function error(c: Context, status: ErrorStatus, type: string, message: string): Response {
  const body: RestErrorBody = { error: { message, type, code: status } };
  return json(c, body, status);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The hono app, for embedding or for `app.fetch` in tests without a socket. */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createRestCatalogApp(opts: RestCatalogServerOptions): Hono {
  const { catalog } = opts;
  const token = opts.token ?? (opts.credential ? randomBytes(24).toString('base64url') : undefined);
  const fileIo = opts.fileIo ?? {};
  const namespaces =
    opts.namespaces ??
    (catalog.kind === 'filesystem' && 'store' in catalog
      ? warehouseNamespaces((catalog as FilesystemCatalog).store)
      : memoryNamespaces());
  // tables seen through this server, for backing catalogs that cannot list
  const tables = new Map<string, Set<string>>();
  const remember = async (id: TableIdent) => {
    const key = nsKey(id.namespace);
    if ((await namespaces.get(id.namespace)) === undefined) await namespaces.put(id.namespace, {});
    const set = tables.get(key) ?? new Set<string>();
    tables.set(key, set);
    set.add(id.name);
  };
  const forget = (id: TableIdent) => tables.get(nsKey(id.namespace))?.delete(id.name);
  const tablesIn = async (ns: string[]): Promise<string[]> => {
    // a backing catalog that can list (the filesystem one) knows tables made before this process
    const listed = 'listTables' in catalog ? await (catalog as ListingCatalog).listTables(ns) : [];
    return [...new Set([...listed.map((t) => t.name), ...(tables.get(nsKey(ns)) ?? [])])].sort();
  };
  const loadResult = (t: LoadedTable): Record<string, unknown> => ({
    ...(t.metadataLocation ? { 'metadata-location': t.metadataLocation } : {}),
    metadata: t.metadata,
    config: { ...fileIo },
  });

  const app = new Hono();

  app.post('/v1/oauth/tokens', async (c) => {
    const form = new URLSearchParams(await c.req.text());
    if (!opts.credential || form.get('grant_type') !== 'client_credentials') {
      return c.json({ error: 'unsupported_grant_type', error_description: 'only client_credentials' }, 400);
    }
    const id = form.get('client_id');
    const given = `${id === null ? '' : `${id}:`}${form.get('client_secret') ?? ''}`;
    const expected = opts.credential.includes(':') ? opts.credential : `:${opts.credential}`;
    if (!sameSecret(id === null ? `:${given}` : given, expected)) {
      return c.json({ error: 'invalid_client', error_description: 'unknown client or wrong secret' }, 401);
    }
    return c.json({
      access_token: token,
      token_type: 'bearer',
      expires_in: 3600,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    });
  });

  app.use('/v1/*', async (c, next) => {
    if (token === undefined || c.req.path === '/v1/oauth/tokens') return next();
    const auth = c.req.header('authorization') ?? '';
    const m = /^Bearer (.+)$/i.exec(auth);
    if (!m?.[1] || !sameSecret(m[1], token)) {
      return error(c, 401, 'NotAuthorizedException', 'missing or invalid bearer token');
    }
    return next();
  });

  app.get('/v1/config', (c) =>
    json(c, {
      defaults: { ...fileIo, ...opts.defaults },
      overrides: opts.prefix ? { prefix: opts.prefix } : {},
      endpoints: ENDPOINTS,
    }),
  );

  const r = new Hono();

  r.get('/namespaces', async (c) => {
    const parent = c.req.query('parent');
    const all = [...(await namespaces.all()).values()].map((n) => n.namespace);
    const list = parent
      ? all.filter((ns) => nsKey(ns.slice(0, -1)) === parent)
      : all.filter((ns) => ns.length === 1);
    list.sort((x, y) => (nsKey(x) < nsKey(y) ? -1 : 1));
    return json(c, { namespaces: list });
  });

  r.post('/namespaces', async (c) => {
    const body = (await readBody(c)) as { namespace?: unknown; properties?: unknown };
    if (!Array.isArray(body?.namespace) || !body.namespace.every((s) => typeof s === 'string')) {
      return error(c, 400, 'BadRequestException', 'namespace must be an array of strings');
    }
    const ns = checkNames(body.namespace);
    if ((await namespaces.get(ns)) !== undefined) {
      return error(c, 409, 'AlreadyExistsException', `namespace already exists: ${ns.join('.')}`);
    }
    const properties = (body.properties ?? {}) as Record<string, string>;
    await namespaces.put(ns, properties);
    return json(c, { namespace: ns, properties });
  });

  const nsRoute = (c: Context) => checkNames(decodeNamespace(c.req.param('ns') ?? ''));
  const tableRoute = (c: Context) => ({
    namespace: nsRoute(c),
    name: checkNames([c.req.param('table') ?? ''])[0] ?? '',
  });

  const noNamespace = (c: Context, ns: string[]) =>
    error(c, 404, 'NoSuchNamespaceException', `namespace does not exist: ${ns.join('.')}`);

  r.on(['GET', 'HEAD'], '/namespaces/:ns', async (c) => {
    const ns = nsRoute(c);
    const props = await namespaces.get(ns);
    if (!props) return noNamespace(c, ns);
    if (c.req.method === 'HEAD') return c.body(null, 204);
    return json(c, { namespace: ns, properties: props });
  });

  r.delete('/namespaces/:ns', async (c) => {
    const ns = nsRoute(c);
    if ((await namespaces.get(ns)) === undefined) return noNamespace(c, ns);
    if ((await tablesIn(ns)).length > 0)
      return error(c, 409, 'NamespaceNotEmptyException', `namespace is not empty: ${ns.join('.')}`);
    await namespaces.delete(ns);
    return c.body(null, 204);
  });

  r.post('/namespaces/:ns/properties', async (c) => {
    const ns = nsRoute(c);
    const props = await namespaces.get(ns);
    if (!props) return noNamespace(c, ns);
    const body = (await readBody(c)) as { removals?: unknown; updates?: unknown };
    const removals = Array.isArray(body?.removals) ? (body.removals as string[]) : [];
    const updates = (body?.updates ?? {}) as Record<string, string>;
    const overlap = removals.filter((k) => k in updates);
    if (overlap.length > 0)
      return error(
        c,
        422,
        'UnprocessableEntityException',
        `properties both set and removed: ${overlap.join(', ')}`,
      );
    const next = { ...props, ...updates };
    for (const k of removals) delete next[k];
    await namespaces.put(ns, next);
    return json(c, {
      updated: Object.keys(updates),
      removed: removals.filter((k) => k in props),
      missing: removals.filter((k) => !(k in props)),
    });
  });

  r.get('/namespaces/:ns/tables', async (c) => {
    const ns = nsRoute(c);
    if ((await namespaces.get(ns)) === undefined) return noNamespace(c, ns);
    const names = await tablesIn(ns);
    return json(c, { identifiers: names.map((name) => ({ namespace: ns, name })) });
  });

  r.post('/namespaces/:ns/tables', async (c) => {
    const namespace = nsRoute(c);
    const req = (await readBody(c)) as CreateTableRequest;
    if (!req || typeof req.name !== 'string' || !req.schema) {
      return error(c, 400, 'BadRequestException', 'a create-table request needs name and schema');
    }
    const id = { namespace, name: checkNames([req.name])[0] ?? '' };
    try {
      const loaded = await catalog.createTable(id, req);
      // a staged table is not there until its commit: nothing to remember yet
      if (!req['stage-create']) await remember(id);
      return json(c, loadResult(loaded));
    } catch (e) {
      if (e instanceof CommitConflictError) {
        return error(
          c,
          409,
          'AlreadyExistsException',
          `table already exists: ${[...namespace, req.name].join('.')}`,
        );
      }
      return failure(c, e);
    }
  });

  r.on(['GET', 'HEAD'], '/namespaces/:ns/tables/:table', async (c) => {
    const id = tableRoute(c);
    try {
      const loaded = await catalog.loadTable(id);
      if (!loaded) return error(c, 404, 'NoSuchTableException', `table does not exist: ${qualified(id)}`);
      await remember(id);
      if (c.req.method === 'HEAD') return c.body(null, 204);
      return json(c, loadResult(loaded));
    } catch (e) {
      return failure(c, e);
    }
  });

  r.post('/namespaces/:ns/tables/:table', async (c) => {
    const id = tableRoute(c);
    const body = (await readBody(c)) as { requirements?: unknown; updates?: unknown };
    if (!Array.isArray(body?.requirements) || !Array.isArray(body?.updates)) {
      return error(c, 400, 'BadRequestException', 'a commit needs requirements and updates arrays');
    }
    const requirements = body.requirements as TableRequirement[];
    try {
      const loaded = await catalog.commitTable(id, requirements, body.updates as TableUpdate[]);
      await remember(id);
      return json(c, { 'metadata-location': loaded.metadataLocation, metadata: loaded.metadata });
    } catch (e) {
      if (e instanceof CommitStateUnknownError)
        return error(c, 500, 'CommitStateUnknownException', e.message);
      // A commit to a table that is not there is a 404 (Java clients expect it), whatever the
      // backing catalog threw; a create-by-commit (assert-create) keeps the catalog's answer.
      if (!requirements.some((r) => r?.type === 'assert-create')) {
        const exists = await catalog.loadTable(id).then(
          (t) => t !== undefined,
          () => true,
        );
        if (!exists) return error(c, 404, 'NoSuchTableException', `table does not exist: ${qualified(id)}`);
      }
      if (e instanceof CommitConflictError) return error(c, 409, 'CommitFailedException', e.message);
      return failure(c, e);
    }
  });

  r.delete('/namespaces/:ns/tables/:table', async (c) => {
    const id = tableRoute(c);
    if (!catalog.dropTable) return unsupported(c, 'drop table');
    const dropped = await catalog.dropTable(id, c.req.query('purgeRequested') === 'true');
    if (!dropped) return error(c, 404, 'NoSuchTableException', `table does not exist: ${qualified(id)}`);
    forget(id);
    return c.body(null, 204);
  });

  r.post('/tables/rename', async (c) => {
    if (!catalog.renameTable) return unsupported(c, 'rename table');
    const body = (await readBody(c)) as { source?: TableIdent; destination?: TableIdent };
    const idOf = (t: TableIdent | undefined) =>
      t && Array.isArray(t.namespace) && typeof t.name === 'string'
        ? { namespace: checkNames(t.namespace), name: checkNames([t.name])[0] ?? '' }
        : undefined;
    const from = idOf(body?.source);
    const to = idOf(body?.destination);
    if (!from || !to) return error(c, 400, 'BadRequestException', 'a rename needs source and destination');
    if ((await namespaces.get(to.namespace)) === undefined) return noNamespace(c, to.namespace);
    try {
      await catalog.renameTable(from, to);
    } catch (e) {
      if (e instanceof NoSuchTableError) return error(c, 404, 'NoSuchTableException', e.message);
      if (e instanceof CommitConflictError) return error(c, 409, 'AlreadyExistsException', e.message);
      throw e;
    }
    forget(from);
    await remember(to);
    return c.body(null, 204);
  });

  const base = opts.prefix ? `/v1/${opts.prefix.replace(/^\/+|\/+$/g, '')}` : '/v1';
  app.route(base, r);
  // The spec's answer for an operation the server does not implement (views, metrics, scan
  // planning, multi-table transactions, ...): 406, not 404, so clients do not report "no such table".
  app.notFound((c) =>
    c.req.path.startsWith(`${base}/`)
      ? unsupported(c, `${c.req.method} ${c.req.path}`)
      : error(c, 404, 'NotFoundException', `no route for ${c.req.method} ${c.req.path}`),
  );
  app.onError((e, c) => failure(c, e));
  return app;
}

/** A name that cannot be a table or namespace (answered 400). */
class BadName extends Error {}

/** Names become path segments in a filesystem catalog: refuse the ones that would escape it. */
function checkNames(names: string[]): string[] {
  const bad = names.find((n) => !validName(n));
  if (bad !== undefined) throw new BadName(`invalid name ${JSON.stringify(bad)}`);
  return names;
}

/** Non-empty, no slash, backslash or control character, not `.` or `..`. */
function validName(name: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  return name.length > 0 && name !== '.' && name !== '..' && !/[/\\\u0000-\u001f]/.test(name);
}

function unsupported(c: Context, what: string): Response {
  return error(c, 406, 'UnsupportedOperationException', `not supported by this catalog server: ${what}`);
}

function qualified(id: TableIdent): string {
  return [...id.namespace, id.name].join('.');
}

async function readBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  try {
    return parseJson(text);
  } catch {
    return undefined;
  }
}

/** A backing-catalog error as a REST error: user errors 400, unreachable storage 503, else 500. */
function failure(c: Context, e: unknown): Response {
  if (e instanceof BadName) return error(c, 400, 'BadRequestException', e.message);
  if (e instanceof InvalidUpdateError) return error(c, 400, 'BadRequestException', e.message);
  if (e instanceof DativoError) {
    if (e.retryable) return error(c, 503, 'ServiceUnavailableException', e.message);
    return error(c, 400, 'BadRequestException', e.message);
  }
  if (e instanceof CommitStateUnknownError) return error(c, 500, 'CommitStateUnknownException', e.message);
  return error(c, 500, 'ServiceFailureException', e instanceof Error ? e.message : String(e));
}

/** Listen on `host:port` (port 0: any free port). */
export function startRestCatalogServer(opts: StartOptions): Promise<RunningRestCatalog> {
  const app = createRestCatalogApp(opts);
  const host = opts.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: opts.port ?? 0, hostname: host }, (info: AddressInfo) => {
      const h = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${h}:${info.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            // idle keep-alive sockets would hold close() open
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.once('error', reject);
  });
}
