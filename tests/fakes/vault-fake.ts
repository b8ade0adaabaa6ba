/**
 * A protocol-faithful fake of the slice of the Vault HTTP API Dativo uses (no Vault server can run
 * here; see ../shared/notes/services.md §5). It answers like Vault 1.x does on the wire:
 * - `GET /v1/{mount}/data/{path}` on a KV v2 mount → `{data: {data, metadata}}`;
 *   `GET /v1/{mount}/{path}` on a KV v1 mount → `{data}`; a v1-style path on a v2 mount → 404 with
 *   Vault's "Invalid path for a versioned K/V secrets engine" warning; an unmounted path → 404
 *   "no handler for route".
 * - `X-Vault-Token` is checked on every read: missing or unknown → 403 `{"errors":["permission denied"]}`.
 * - `POST /v1/auth/{approle mount}/login` `{role_id, secret_id}` → `{auth: {client_token, ...}}`;
 *   wrong ids → 400 `{"errors":["invalid role or secret ID"]}`.
 * - `X-Vault-Namespace` selects a child namespace with its own mounts, tokens and roles; tokens of
 *   the root namespace also work in children (as a root token does), a child's token nowhere else.
 * Every request is recorded (method, path, headers) so tests can check what the client sent.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VaultFakeMount {
  version: 1 | 2;
  /** KV path (no mount, no `data/`) → key/value map. */
  secrets: Record<string, Record<string, unknown>>;
}

export interface VaultFakeNamespace {
  tokens?: string[];
  mounts?: Record<string, VaultFakeMount>;
  /** AppRole credentials accepted by `auth/{approleMount}/login`. */
  approle?: { role_id: string; secret_id: string }[];
  approleMount?: string;
}

export interface VaultFakeOptions extends VaultFakeNamespace {
  /** Child namespaces by name (`X-Vault-Namespace`), e.g. `team-a` or `admin/team-a`. */
  namespaces?: Record<string, VaultFakeNamespace>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface VaultFake {
  url: string;
  requests: RecordedRequest[];
  /** Tokens handed out by AppRole logins, in order. */
  issuedTokens: string[];
  close(): Promise<void>;
}

export async function startVaultFake(options: VaultFakeOptions): Promise<VaultFake> {
  const requests: RecordedRequest[] = [];
  const issuedTokens: string[] = [];
  const spaces = new Map<string, Required<VaultFakeNamespace>>();
  const norm = (ns: VaultFakeNamespace): Required<VaultFakeNamespace> => ({
    tokens: [...(ns.tokens ?? [])],
    mounts: ns.mounts ?? {},
    approle: ns.approle ?? [],
    approleMount: ns.approleMount ?? 'approle',
  });
  spaces.set('', norm(options));
  for (const [name, ns] of Object.entries(options.namespaces ?? {})) spaces.set(trimSlashes(name), norm(ns));

  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://vault.invalid');
      requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, body });
      const reply = (status: number, payload: unknown): void => {
        res.statusCode = status;
        res.setHeader('Content-Type', 'application/json');
        res.setHeader('Cache-Control', 'no-store');
        res.end(JSON.stringify(payload));
      };
      if (!url.pathname.startsWith('/v1/')) return reply(404, { errors: [] });
      const nsName = trimSlashes(String(req.headers['x-vault-namespace'] ?? ''));
      const ns = spaces.get(nsName);
      const rel = decodeURIComponent(url.pathname.slice('/v1/'.length));
      if (!ns) return reply(403, { errors: ['permission denied'] });

      if (req.method === 'POST' && rel === `auth/${ns.approleMount}/login`) {
        let creds: { role_id?: unknown; secret_id?: unknown };
        try {
          creds = JSON.parse(body || '{}');
        } catch {
          return reply(400, { errors: ['failed to parse JSON input'] });
        }
        if (!creds.role_id) return reply(400, { errors: ['missing role_id'] });
        const ok = ns.approle.some((r) => r.role_id === creds.role_id && r.secret_id === creds.secret_id);
        if (!ok) return reply(400, { errors: ['invalid role or secret ID'] });
        const token = `hvs.${randomBytes(18).toString('base64url')}`;
        ns.tokens.push(token);
        issuedTokens.push(token);
        return reply(200, {
          request_id: randomUUID(),
          lease_id: '',
          renewable: false,
          lease_duration: 0,
          data: null,
          wrap_info: null,
          warnings: null,
          auth: {
            client_token: token,
            accessor: randomBytes(12).toString('base64url'),
            policies: ['default', 'dativo'],
            token_policies: ['default', 'dativo'],
            metadata: { role_name: 'dativo' },
            lease_duration: 2764800,
            renewable: true,
            entity_id: randomUUID(),
            token_type: 'service',
            orphan: true,
          },
        });
      }

      const token = String(req.headers['x-vault-token'] ?? '');
      const rootNs = spaces.get('')!;
      const tokenOk = token !== '' && (ns.tokens.includes(token) || rootNs.tokens.includes(token));
      if (!tokenOk) return reply(403, { errors: ['permission denied'] });
      if (req.method !== 'GET') return reply(405, { errors: ['unsupported operation'] });

      const mountName = Object.keys(ns.mounts)
        .filter((m) => rel === m || rel.startsWith(`${trimSlashes(m)}/`))
        .sort((a, b) => b.length - a.length)[0];
      if (mountName === undefined) {
        return reply(404, { errors: [`no handler for route "${rel}". route entry not found.`] });
      }
      const mount = ns.mounts[mountName]!;
      let kvPath = rel.slice(trimSlashes(mountName).length + 1);
      if (mount.version === 2) {
        if (!kvPath.startsWith('data/')) {
          return reply(404, {
            errors: [],
            warnings: [
              `Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.`,
            ],
          });
        }
        kvPath = kvPath.slice('data/'.length);
      }
      const data = mount.secrets[trimSlashes(kvPath)];
      if (!data) return reply(404, { errors: [] });
      if (mount.version === 1) {
        return reply(200, {
          request_id: randomUUID(),
          lease_id: '',
          renewable: false,
          lease_duration: 2764800,
          data,
          wrap_info: null,
          warnings: null,
          auth: null,
        });
      }
      return reply(200, {
        request_id: randomUUID(),
        lease_id: '',
        renewable: false,
        lease_duration: 0,
        data: {
          data,
          metadata: {
            created_time: '2024-01-01T00:00:00.000000Z',
            custom_metadata: null,
            deletion_time: '',
            destroyed: false,
            version: 1,
          },
        },
        wrap_info: null,
        warnings: null,
        auth: null,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    issuedTokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, '');
}
