/**
 * Secrets from Google Cloud Secret Manager, through @google-cloud/secret-manager 6.x over its REST
 * transport (`fallback: true`, HTTP/1.1 JSON; no gRPC). The same modes as the aws manager (spec §10):
 * `secrets[]` {name, id?, format?, version?}, a bundle (`bundle_secret_id_template`), or, with
 * neither, ListSecrets under `projects/{project_id}` with ids starting with the template's text
 * before `{name}`. Secret ids cannot hold `/`, so the default template is `{tenant}-{name}`.
 * Auth: `access_token` (a bearer token), `credentials_file`/`credentials` (a service account key),
 * or Application Default Credentials. `api_endpoint` (`host[:port]` or a URL) points elsewhere.
 */
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { DativoError } from '../errors.js';
import type { SecretManager } from './manager.js';
import { masker } from './masker.js';
import {
  bundleMap,
  type Config,
  connectionFailed,
  intSetting,
  maskConfigCredentials,
  networkCode,
  parsedSecret,
  renderTemplate,
  type SecretEntry,
  secretEntries,
  secretsFromMap,
  setting,
} from './remote.js';

export interface GcpSecretSpec {
  name: string;
  id?: string;
  format?: string;
  version?: string;
}

export interface GcpSecretManagerOptions {
  project_id: string;
  secret_id_template: string;
  version: string;
  secrets?: GcpSecretSpec[];
  bundle_secret_id_template?: string;
  bundle_format?: string;
  bundle_version?: string;
  /** `host[:port]` or `http(s)://host[:port]`. */
  api_endpoint?: string;
  access_token?: string;
  credentials_file?: string;
  credentials?: Record<string, unknown>;
  timeout_ms?: number;
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_TIMEOUT_MS = 15_000;

export function gcpOptionsFromConfig(config: Config, env: NodeJS.ProcessEnv): GcpSecretManagerOptions {
  maskConfigCredentials(config, ['access_token']);
  const project = setting(config, 'project_id', 'project') ?? env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT;
  if (!project) {
    throw new DativoError(
      'CONFIG_INVALID',
      'the gcp secret manager needs project_id (or $GOOGLE_CLOUD_PROJECT)',
      {
        location: { keyPath: 'project_id' },
      },
    );
  }
  let credentials: Record<string, unknown> | undefined;
  const raw = config.credentials;
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) credentials = raw as Record<string, unknown>;
  else if (typeof raw === 'string' && raw.trim().startsWith('{')) {
    try {
      credentials = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      throw new DativoError('CONFIG_INVALID', 'gcp credentials is not valid JSON', {
        location: { keyPath: 'credentials' },
      });
    }
  } else if (raw !== undefined && raw !== null) {
    throw new DativoError('CONFIG_INVALID', 'gcp credentials must be a service account key (JSON)', {
      location: { keyPath: 'credentials' },
    });
  }
  if (credentials) masker.registerAll(credentials);
  return {
    project_id: project,
    secret_id_template: setting(config, 'secret_id_template') ?? '{tenant}-{name}',
    version: setting(config, 'version') ?? 'latest',
    secrets: secretEntries(config)?.map(toSpec),
    bundle_secret_id_template: setting(config, 'bundle_secret_id_template'),
    bundle_format: setting(config, 'bundle_format'),
    bundle_version: setting(config, 'bundle_version'),
    api_endpoint: setting(config, 'api_endpoint', 'endpoint'),
    access_token: setting(config, 'access_token'),
    credentials_file: setting(config, 'credentials_file', 'key_file') ?? env.GOOGLE_APPLICATION_CREDENTIALS,
    credentials,
    timeout_ms: intSetting(config, 'timeout_ms'),
    env,
  };
}

function toSpec(e: SecretEntry): GcpSecretSpec {
  return { name: e.name, id: e.id, format: e.format, version: setting(e.raw, 'version') };
}

/** `api_endpoint` → the client's apiEndpoint/port/protocol. */
export function endpointOptions(endpoint: string | undefined): {
  apiEndpoint?: string;
  port?: number;
  protocol?: string;
} {
  if (!endpoint) return {};
  const withScheme = /^[a-z]+:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new DativoError('CONFIG_INVALID', `gcp api_endpoint ${endpoint} is not a host or URL`, {
      location: { keyPath: 'api_endpoint' },
    });
  }
  const protocol = url.protocol.replace(/:$/, '');
  return {
    apiEndpoint: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    protocol,
  };
}

async function makeClient(options: GcpSecretManagerOptions): Promise<SecretManagerServiceClient> {
  // Loaded on use: the Google client is large and most runs use another manager.
  const { SecretManagerServiceClient: Client } = await import('@google-cloud/secret-manager');
  const base = {
    fallback: true as const,
    ...endpointOptions(options.api_endpoint),
    projectId: options.project_id,
  };
  if (options.access_token) {
    const { OAuth2Client } = await import('google-auth-library');
    const authClient = new OAuth2Client();
    authClient.setCredentials({ access_token: options.access_token });
    return new Client({ ...base, authClient });
  }
  if (options.credentials) return new Client({ ...base, credentials: options.credentials as never });
  if (options.credentials_file) return new Client({ ...base, keyFilename: options.credentials_file });
  return new Client(base);
}

export function createGcpSecretManager(options: GcpSecretManagerOptions): SecretManager {
  const env = options.env ?? process.env;
  const where = options.api_endpoint ?? 'secretmanager.googleapis.com';
  const project = options.project_id;
  const callOptions = { timeout: options.timeout_ms ?? DEFAULT_TIMEOUT_MS };
  return {
    kind: 'gcp',
    async load(tenant: string): Promise<Record<string, unknown>> {
      const client = await makeClient(options);
      const access = async (id: string, version: string): Promise<string> => {
        const name = id.startsWith('projects/')
          ? id.includes('/versions/')
            ? id
            : `${id}/versions/${version}`
          : `projects/${project}/secrets/${id}/versions/${version}`;
        try {
          const [resp] = await client.accessSecretVersion({ name }, callOptions);
          const data = resp.payload?.data;
          if (data === undefined || data === null) {
            throw new DativoError('SECRETS_UNAVAILABLE', `gcp secret version ${name} has no payload`);
          }
          return typeof data === 'string'
            ? Buffer.from(data, 'base64').toString('utf8')
            : Buffer.from(data).toString('utf8');
        } catch (err) {
          if (err instanceof DativoError) throw err;
          throw gcpError(err, where, `secret version ${name}`);
        }
      };
      try {
        if (options.bundle_secret_id_template) {
          const id = renderTemplate(
            options.bundle_secret_id_template,
            { tenant },
            'bundle_secret_id_template',
          );
          const payload = await access(id, options.bundle_version ?? options.version);
          const label = `gcp bundle ${id}`;
          const parsed = parsedSecret(payload, { format: options.bundle_format, env, label });
          return secretsFromMap(bundleMap(parsed, id), { env, label });
        }
        const specs =
          options.secrets ?? (await listTenantSecrets(client, options, tenant, where, callOptions));
        const secrets: Record<string, unknown> = {};
        for (const spec of specs) {
          const id =
            spec.id !== undefined
              ? renderTemplate(spec.id, { tenant, name: spec.name }, 'secrets[].id')
              : renderTemplate(options.secret_id_template, { tenant, name: spec.name }, 'secret_id_template');
          const payload = await access(id, spec.version ?? options.version);
          const name = spec.name.toLowerCase();
          secrets[name] = parsedSecret(payload, { format: spec.format, env, label: `${name} (gcp ${id})` });
        }
        return secrets;
      } finally {
        await client.close().catch(() => undefined);
      }
    },
  };
}

async function listTenantSecrets(
  client: SecretManagerServiceClient,
  options: GcpSecretManagerOptions,
  tenant: string,
  where: string,
  callOptions: { timeout: number },
): Promise<GcpSecretSpec[]> {
  const template = options.secret_id_template;
  const at = template.indexOf('{name}');
  if (at < 0 || at + '{name}'.length !== template.length || at === 0) {
    throw new DativoError(
      'CONFIG_INVALID',
      'without secrets[] the gcp manager lists secrets by prefix, so secret_id_template must end with {name} after some text; or list secrets[]',
      { location: { keyPath: 'secret_id_template' } },
    );
  }
  const prefix = renderTemplate(template.slice(0, at), { tenant }, 'secret_id_template');
  const parent = `projects/${options.project_id}`;
  let found: { name?: string | null }[];
  try {
    [found] = await client.listSecrets(
      { parent, filter: `name:${prefix}` },
      { ...callOptions, autoPaginate: true },
    );
  } catch (err) {
    throw gcpError(err, where, `the secrets of ${parent} named ${prefix}*`);
  }
  const specs: GcpSecretSpec[] = [];
  for (const s of found ?? []) {
    const id = s.name?.split('/secrets/')[1];
    // The filter matches anywhere in the name; keep only ids that start with the prefix.
    if (!id?.startsWith(prefix) || id.length === prefix.length) continue;
    specs.push({ name: id.slice(prefix.length), id });
  }
  return specs.sort((a, b) => a.name.localeCompare(b.name));
}

/** gaxios/gax errors → ours, by HTTP status or gRPC code; their messages (response bodies) are not passed on. */
function gcpError(err: unknown, where: string, what: string): DativoError {
  const e = err as { code?: unknown; status?: unknown; response?: { status?: unknown } } | null;
  const http = [e?.response?.status, e?.status, e?.code].find((v) => typeof v === 'number' && v >= 100) as
    | number
    | undefined;
  const grpc = typeof e?.code === 'number' && e.code < 100 ? e.code : undefined;
  if (http === 404 || grpc === 5) {
    return new DativoError('SECRET_NOT_FOUND', `gcp ${what} not found (${where})`);
  }
  if (http === 401 || http === 403 || grpc === 16 || grpc === 7) {
    return new DativoError(
      'AUTHENTICATION_FAILED',
      `gcp Secret Manager (${where}) refused the credentials reading ${what}`,
    );
  }
  const net = networkCode(err);
  if (net && http === undefined) return connectionFailed('gcp Secret Manager', where, net);
  const retryable = http === 429 || (http ?? 0) >= 500 || grpc === 14 || grpc === 4;
  return new DativoError(
    'SECRETS_UNAVAILABLE',
    `gcp Secret Manager (${where}) failed reading ${what}${http ? ` (HTTP ${http})` : grpc !== undefined ? ` (gRPC code ${grpc})` : ''}`,
    { retryable },
  );
}
