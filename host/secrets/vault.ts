/**
 * Secrets from HashiCorp Vault (or OpenBao) KV, through node-vault. One KV path holds many secrets
 * (its keys are the secret names); `path_template` ({tenant}) is read first and each of `paths[]`
 * is merged over it in order. KV v2 reads `{mount}/data/{path}` and unwraps `data.data`; KV v1 reads
 * `{mount}/{path}`. Auth is a token (config or $VAULT_TOKEN) or an AppRole login; `namespace` is
 * sent as X-Vault-Namespace on every request, the login included.
 */
import type NodeVault from 'node-vault';
import { DativoError } from '../errors.js';
import type { SecretManager } from './manager.js';
import { masker } from './masker.js';
import {
  type Config,
  connectionFailed,
  intSetting,
  listSetting,
  maskConfigCredentials,
  networkCode,
  renderTemplate,
  secretsFromMap,
  setting,
} from './remote.js';

export interface VaultPathSpec {
  path: string;
  mount_point: string;
  kv_version: 1 | 2;
}

export interface VaultSecretManagerOptions {
  address: string;
  namespace?: string;
  auth_method: 'token' | 'approle';
  token?: string;
  role_id?: string;
  secret_id?: string;
  /** Where the AppRole auth method is mounted (default `approle`). */
  approle_mount_point?: string;
  /** The tenant's own path first, then the extra paths, all with `{tenant}` rendered at load time. */
  paths: VaultPathSpec[];
  timeout_ms?: number;
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** `--secret-manager-config` settings → options (spec §10 names; $VAULT_ADDR/TOKEN/NAMESPACE as fallbacks). */
export function vaultOptionsFromConfig(config: Config, env: NodeJS.ProcessEnv): VaultSecretManagerOptions {
  maskConfigCredentials(config, ['token', 'secret_id']);
  const address = setting(config, 'address', 'url') ?? env.VAULT_ADDR;
  if (!address) {
    throw new DativoError('CONFIG_INVALID', 'the vault secret manager needs address (or $VAULT_ADDR)', {
      location: { keyPath: 'address' },
    });
  }
  const method = (setting(config, 'auth_method') ?? 'token').toLowerCase();
  if (method !== 'token' && method !== 'approle') {
    throw new DativoError('CONFIG_INVALID', `vault auth_method must be token or approle, not "${method}"`, {
      location: { keyPath: 'auth_method' },
    });
  }
  const mount = setting(config, 'mount_point') ?? 'secret';
  const kv = kvVersion(intSetting(config, 'kv_version') ?? 2, 'kv_version');
  const paths: VaultPathSpec[] = [
    { path: setting(config, 'path_template', 'path') ?? '{tenant}', mount_point: mount, kv_version: kv },
  ];
  (listSetting(config, 'paths') ?? []).forEach((item, i) => {
    const keyPath = `paths[${i}]`;
    if (typeof item === 'string' && item !== '') {
      paths.push({ path: item, mount_point: mount, kv_version: kv });
    } else if (item && typeof item === 'object' && !Array.isArray(item)) {
      const p = item as Config;
      const path = setting(p, 'path', 'path_template');
      if (!path)
        throw new DativoError('CONFIG_INVALID', `${keyPath} needs a path`, { location: { keyPath } });
      paths.push({
        path,
        mount_point: setting(p, 'mount_point') ?? mount,
        kv_version: kvVersion(intSetting(p, 'kv_version') ?? kv, `${keyPath}.kv_version`),
      });
    } else {
      throw new DativoError('CONFIG_INVALID', `${keyPath} must be a path or a mapping with path`, {
        location: { keyPath },
      });
    }
  });
  const token = setting(config, 'token') ?? (method === 'token' ? env.VAULT_TOKEN : undefined);
  const opts: VaultSecretManagerOptions = {
    address,
    namespace: setting(config, 'namespace') ?? env.VAULT_NAMESPACE,
    auth_method: method,
    token,
    role_id: setting(config, 'role_id') ?? env.VAULT_ROLE_ID,
    secret_id: setting(config, 'secret_id') ?? env.VAULT_SECRET_ID,
    approle_mount_point: setting(config, 'approle_mount_point', 'auth_mount_point'),
    paths,
    timeout_ms: intSetting(config, 'timeout_ms'),
    env,
  };
  masker.register(opts.token);
  masker.register(opts.secret_id);
  if (method === 'token' && !opts.token) {
    throw new DativoError('CONFIG_INVALID', 'vault token auth needs token (or $VAULT_TOKEN)', {
      location: { keyPath: 'token' },
    });
  }
  if (method === 'approle' && (!opts.role_id || !opts.secret_id)) {
    throw new DativoError('CONFIG_INVALID', 'vault approle auth needs role_id and secret_id', {
      location: { keyPath: opts.role_id ? 'secret_id' : 'role_id' },
    });
  }
  return opts;
}

function kvVersion(n: number, keyPath: string): 1 | 2 {
  if (n === 1 || n === 2) return n;
  throw new DativoError('CONFIG_INVALID', `${keyPath} must be 1 or 2`, { location: { keyPath } });
}

/** The API path node-vault reads for one KV path (segments encoded, slashes kept). */
export function kvApiPath(spec: VaultPathSpec, path: string): string {
  const mount = spec.mount_point.replace(/^\/+|\/+$/g, '');
  const rel = path
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .map(encodeURIComponent)
    .join('/');
  return spec.kv_version === 2 ? `${mount}/data/${rel}` : `${mount}/${rel}`;
}

export function createVaultSecretManager(options: VaultSecretManagerOptions): SecretManager {
  const env = options.env ?? process.env;
  const address = options.address.replace(/\/+$/, '');
  return {
    kind: 'vault',
    async load(tenant: string): Promise<Record<string, unknown>> {
      // Loaded on use, like the other remote clients: most runs never talk to Vault.
      const { default: vault } = await import('node-vault');
      const client = vault({
        endpoint: address,
        token: options.auth_method === 'token' ? options.token : undefined,
        namespace: options.namespace,
        requestOptions: { timeout: options.timeout_ms ?? DEFAULT_TIMEOUT_MS },
      });
      if (options.auth_method === 'approle') await appRoleLogin(client, options, address);
      const secrets: Record<string, unknown> = {};
      for (const spec of options.paths) {
        const rel = renderTemplate(spec.path, { tenant }, 'path_template');
        const apiPath = kvApiPath(spec, rel);
        let body: unknown;
        try {
          body = await client.read(apiPath);
        } catch (err) {
          throw vaultError(err, address, apiPath);
        }
        const data = kvData(body, spec.kv_version);
        if (!data) {
          throw new DativoError(
            'SECRET_NOT_FOUND',
            `vault path ${apiPath} at ${address} holds no KV v${spec.kv_version} data`,
          );
        }
        Object.assign(secrets, secretsFromMap(data, { env, label: `vault ${apiPath}` }));
      }
      return secrets;
    },
  };
}

async function appRoleLogin(
  client: NodeVault.client,
  options: VaultSecretManagerOptions,
  address: string,
): Promise<void> {
  const mount = options.approle_mount_point;
  let response: { auth?: { client_token?: unknown } };
  try {
    response = await client.approleLogin({
      role_id: options.role_id,
      secret_id: options.secret_id,
      ...(mount ? { mount_point: mount } : {}),
    });
  } catch (err) {
    const status = statusOf(err);
    if (status === 400 || status === 401 || status === 403) {
      throw new DativoError(
        'AUTHENTICATION_FAILED',
        `vault at ${address} refused the AppRole login (role_id or secret_id is wrong)`,
      );
    }
    throw vaultError(err, address, `auth/${mount ?? 'approle'}/login`);
  }
  const token = response?.auth?.client_token;
  if (typeof token !== 'string' || token === '') {
    throw new DativoError(
      'AUTHENTICATION_FAILED',
      `vault at ${address} returned no client token for the AppRole login`,
    );
  }
  masker.register(token);
}

function kvData(body: unknown, version: 1 | 2): Record<string, unknown> | undefined {
  const data = (body as { data?: unknown } | null)?.data;
  const inner = version === 2 ? (data as { data?: unknown } | null | undefined)?.data : data;
  return inner && typeof inner === 'object' && !Array.isArray(inner)
    ? (inner as Record<string, unknown>)
    : undefined;
}

function statusOf(err: unknown): number | undefined {
  const s = (err as { response?: { statusCode?: unknown } } | null)?.response?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** node-vault errors → ours. Vault's own error text is kept only for server errors (it names no secret). */
function vaultError(err: unknown, address: string, apiPath: string): DativoError {
  const net = networkCode(err);
  if (net) return connectionFailed('vault', address, net);
  const status = statusOf(err);
  if (status === 401 || status === 403) {
    return new DativoError(
      'AUTHENTICATION_FAILED',
      `vault at ${address} denied reading ${apiPath} (permission denied; check the token or policy)`,
    );
  }
  if (status === 404) {
    return new DativoError(
      'SECRET_NOT_FOUND',
      `vault path ${apiPath} not found at ${address} (check mount_point, kv_version and path_template)`,
    );
  }
  if (status !== undefined && (status >= 500 || status === 429)) {
    const sealed = status === 503 ? ' (sealed or in standby)' : '';
    return new DativoError(
      'SECRETS_UNAVAILABLE',
      `vault at ${address} answered ${status}${sealed} reading ${apiPath}`,
      {
        retryable: true,
      },
    );
  }
  return new DativoError(
    'SECRETS_UNAVAILABLE',
    `vault at ${address} failed reading ${apiPath}${status ? ` (HTTP ${status})` : ''}`,
  );
}
