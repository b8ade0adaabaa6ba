/**
 * A protocol-faithful fake of Google Cloud Secret Manager's REST surface (v1) as the Node client's
 * REST transport (`fallback: true`) calls it; no Google network is used. It answers:
 * - `GET /v1/projects/{project}/secrets/{secret}/versions/{version}:access` →
 *   `{name: "projects/{number}/secrets/{secret}/versions/{n}", payload: {data: base64}}`, where
 *   `latest` is the highest enabled version, as the service resolves it;
 * - `GET /v1/projects/{project}/secrets?filter=name:<text>&pageSize&pageToken` →
 *   `{secrets: [{name, replication, createTime}], nextPageToken?, totalSize}` (the `name:` filter
 *   matches anywhere in the name, as the service's filter does);
 * - errors in Google's JSON error shape `{error: {code, message, status}}`: a missing or unknown
 *   `Authorization: Bearer` token → 401 UNAUTHENTICATED; another project → 403 PERMISSION_DENIED;
 *   an unknown secret or version → 404 NOT_FOUND; a disabled version → 400 FAILED_PRECONDITION.
 * The client's `$alt=json;enum-encoding=int` query is accepted. Not modelled: `dataCrc32c`.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GcpFakeVersion {
  data: string;
  enabled?: boolean;
}

export interface GcpSecretsFakeOptions {
  projectId: string;
  projectNumber?: string;
  /** Bearer tokens accepted. */
  tokens: string[];
  /** Secret id → its value (one version) or its versions, oldest first (version 1, 2, ...). */
  secrets: Record<string, string | (string | GcpFakeVersion)[]>;
}

export interface GcpRecordedRequest {
  method: string;
  path: string;
  query: string;
  headers: http.IncomingHttpHeaders;
}

export interface GcpSecretsFake {
  url: string;
  host: string;
  port: number;
  requests: GcpRecordedRequest[];
  close(): Promise<void>;
}

const ACCESS_RE = /^\/v1\/projects\/([^/]+)\/secrets\/([^/]+)\/versions\/([^/:]+):access$/;
const LIST_RE = /^\/v1\/projects\/([^/]+)\/secrets$/;

export async function startGcpSecretsFake(options: GcpSecretsFakeOptions): Promise<GcpSecretsFake> {
  const number = options.projectNumber ?? '123456789012';
  const requests: GcpRecordedRequest[] = [];
  const versionsOf = (id: string): GcpFakeVersion[] | undefined => {
    const v = options.secrets[id];
    if (v === undefined) return undefined;
    return (typeof v === 'string' ? [v] : v).map((x) => (typeof x === 'string' ? { data: x } : x));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gcp.invalid');
    requests.push({ method: req.method ?? '', path: url.pathname, query: url.search, headers: req.headers });
    const reply = (status: number, payload: unknown): void => {
      res.statusCode = status;
      res.setHeader('Content-Type', 'application/json; charset=UTF-8');
      res.setHeader('x-goog-request-id', randomUUID());
      res.end(JSON.stringify(payload));
    };
    const fail = (code: number, status: string, message: string): void =>
      reply(code, { error: { code, message, status } });
    req.resume();

    const auth = String(req.headers.authorization ?? '');
    const token = /^Bearer (.+)$/.exec(auth)?.[1];
    if (!token || !options.tokens.includes(token)) {
      return fail(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    }
    if (req.method !== 'GET') return fail(405, 'METHOD_NOT_ALLOWED', 'Only GET is served by this fake.');
    const path = decodeURIComponent(url.pathname);
    const sameProject = (p: string) => p === options.projectId || p === number;

    const access = ACCESS_RE.exec(path);
    if (access) {
      const [, project, secret, version] = access as unknown as [string, string, string, string];
      if (!sameProject(project)) {
        return fail(
          403,
          'PERMISSION_DENIED',
          `Permission 'secretmanager.versions.access' denied for resource 'projects/${project}/secrets/${secret}/versions/${version}' (or it may not exist).`,
        );
      }
      const versions = versionsOf(secret);
      let n: number;
      if (version === 'latest') {
        n = versions
          ? versions.map((v, i) => (v.enabled === false ? 0 : i + 1)).reduce((a, b) => Math.max(a, b), 0)
          : 0;
      } else n = /^\d+$/.test(version) ? Number(version) : 0;
      const v = versions?.[n - 1];
      if (!versions || !v) {
        return fail(
          404,
          'NOT_FOUND',
          `Secret Version [projects/${number}/secrets/${secret}/versions/${version}] not found.`,
        );
      }
      if (v.enabled === false) {
        return fail(
          400,
          'FAILED_PRECONDITION',
          `Secret Version [projects/${number}/secrets/${secret}/versions/${n}] is in DISABLED state.`,
        );
      }
      return reply(200, {
        name: `projects/${number}/secrets/${secret}/versions/${n}`,
        payload: { data: Buffer.from(v.data, 'utf8').toString('base64') },
      });
    }

    const list = LIST_RE.exec(path);
    if (list) {
      const project = list[1]!;
      if (!sameProject(project)) {
        return fail(
          403,
          'PERMISSION_DENIED',
          `Permission 'secretmanager.secrets.list' denied for resource 'projects/${project}' (or it may not exist).`,
        );
      }
      const filter = url.searchParams.get('filter') ?? '';
      const m = /^name:(.*)$/.exec(filter.trim());
      if (filter && !m)
        return fail(
          400,
          'INVALID_ARGUMENT',
          `This fake only understands name:<text> filters, not "${filter}".`,
        );
      const ids = Object.keys(options.secrets)
        .sort()
        .filter((id) => !m || id.includes(m[1]!.replace(/^"|"$/g, '')));
      const size = Number(url.searchParams.get('pageSize') ?? '25') || 25;
      const start = Number(url.searchParams.get('pageToken') || '0');
      const page = ids.slice(start, start + size);
      return reply(200, {
        secrets: page.map((id) => ({
          name: `projects/${number}/secrets/${id}`,
          replication: { automatic: {} },
          createTime: '2024-01-01T00:00:00.000000Z',
          etag: '"1"',
        })),
        ...(start + size < ids.length ? { nextPageToken: String(start + size) } : {}),
        totalSize: ids.length,
      });
    }
    return fail(404, 'NOT_FOUND', `The requested URL ${url.pathname} was not found on this server.`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
