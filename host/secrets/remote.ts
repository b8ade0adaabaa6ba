/**
 * What the remote managers (vault, aws, gcp) share: reading their settings, rendering id templates,
 * turning a fetched name → value map into secrets, and telling a network failure from a refusal.
 * Errors built here never quote a payload, a token or a client library's request (which carries
 * the credentials in its headers), so no `cause` from a client is attached.
 */
import { DativoError } from '../errors.js';
import { loaded } from './manager.js';
import { masker } from './masker.js';
import { expandVarsDeep, parseSecretPayload } from './parse.js';

export type Config = Record<string, unknown>;

/** A string setting; the first of `keys` that is set wins (aliases such as `region`/`region_name`). */
export function setting(config: Config, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const v = config[key];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v === 'number') return String(v);
    if (typeof v !== 'string') {
      throw new DativoError('CONFIG_INVALID', `secret manager setting ${key} must be a string`, {
        location: { keyPath: key },
      });
    }
    return v;
  }
  return undefined;
}

export function requireSetting(config: Config, kind: string, ...keys: string[]): string {
  const v = setting(config, ...keys);
  if (v === undefined) {
    throw new DativoError(
      'CONFIG_INVALID',
      `the ${kind} secret manager needs ${keys[0]} in --secret-manager-config`,
      {
        location: { keyPath: keys[0] },
      },
    );
  }
  return v;
}

export function intSetting(config: Config, key: string): number | undefined {
  const v = config[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0) {
    throw new DativoError('CONFIG_INVALID', `secret manager setting ${key} must be a whole number`, {
      location: { keyPath: key },
    });
  }
  return n;
}

export function listSetting(config: Config, key: string): unknown[] | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    throw new DativoError('CONFIG_INVALID', `secret manager setting ${key} must be a list`, {
      location: { keyPath: key },
    });
  }
  return v;
}

/**
 * Credentials given in the manager's own config (a Vault token, an AWS secret key) are secrets too:
 * they are registered before any request is made, so no error or log line can carry them.
 */
export function maskConfigCredentials(config: Config, keys: readonly string[]): void {
  for (const key of keys) masker.register(config[key]);
}

/** `{tenant}/{name}` → `acme/db`. An unknown placeholder is a config mistake, not a literal. */
export function renderTemplate(template: string, vars: Record<string, string>, keyPath: string): string {
  return template.replace(/\{([^{}]*)\}/g, (whole, name: string) => {
    const value = vars[name];
    if (value === undefined) {
      const known = Object.keys(vars)
        .map((k) => `{${k}}`)
        .join(', ');
      throw new DativoError('CONFIG_INVALID', `${keyPath} uses ${whole}; only ${known} can be used there`, {
        location: { keyPath },
      });
    }
    return value;
  });
}

/** One entry of `secrets[]`: {name, id?, format?, ...}; a bare string is a name. */
export interface SecretEntry {
  name: string;
  id?: string;
  format?: string;
  raw: Config;
}

export function secretEntries(config: Config, key = 'secrets'): SecretEntry[] | undefined {
  const list = listSetting(config, key);
  if (!list) return undefined;
  return list.map((item, i) => {
    const keyPath = `${key}[${i}]`;
    if (typeof item === 'string' && item !== '') return { name: item, raw: {} };
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      const raw = item as Config;
      const name = setting(raw, 'name');
      if (!name) {
        throw new DativoError('CONFIG_INVALID', `${keyPath} needs a name`, { location: { keyPath } });
      }
      return { name, id: setting(raw, 'id', 'secret_id'), format: setting(raw, 'format'), raw };
    }
    throw new DativoError('CONFIG_INVALID', `${keyPath} must be a name or a mapping with name and id`, {
      location: { keyPath },
    });
  });
}

/** One fetched payload → its parsed value, registered with the masker. */
export function parsedSecret(
  payload: string,
  opts: { format?: string; env: NodeJS.ProcessEnv; label: string },
): unknown {
  // The raw payload is registered as well as its parsed leaves: a JSON secret echoed whole stays hidden.
  masker.register(payload.trim());
  return loaded(parseSecretPayload(payload, opts));
}

/**
 * A map of many secrets (a Vault KV path, a bundle secret) → name → value. Names are lower-cased as
 * the other managers do; string values follow the spec's parsing rules, structured values (a KV v2
 * entry may hold JSON) are kept with their variables expanded.
 */
export function secretsFromMap(
  map: Record<string, unknown>,
  opts: { env: NodeJS.ProcessEnv; label: string },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(map)) {
    const name = key.toLowerCase();
    const label = `${name} (${opts.label})`;
    out[name] =
      typeof value === 'string'
        ? parsedSecret(value, { env: opts.env, label })
        : loaded(expandVarsDeep(value, opts.env));
  }
  return out;
}

/** A bundle payload must parse to a mapping of names; anything else cannot name secrets. */
export function bundleMap(parsed: unknown, label: string): Record<string, unknown> {
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
    return parsed as Record<string, unknown>;
  throw new DativoError(
    'SECRETS_UNAVAILABLE',
    `bundle secret ${label} must hold a JSON object or dotenv lines naming its secrets`,
  );
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** The network-level code of a client error (axios, gaxios, smithy and fetch nest it differently). */
export function networkCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    const name = (e as { name?: unknown }).name;
    if (name === 'TimeoutError' || name === 'AbortError') return 'ETIMEDOUT';
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function connectionFailed(kind: string, where: string, code: string): DativoError {
  return new DativoError(
    'CONNECTION_FAILED',
    `${kind} at ${where} cannot be reached (${code}); retry when it is up`,
    {
      retryable: true,
    },
  );
}
