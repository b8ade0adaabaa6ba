/**
 * Picks a secret manager by name (`--secret-manager`, `$DATIVO_SECRET_MANAGER`, default env) and
 * reads its settings (`--secret-manager-config`: a YAML/JSON file or inline JSON).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DativoError } from '../errors.js';
import { awsOptionsFromConfig, createAwsSecretManager } from './aws.js';
import { createEnvSecretManager } from './env.js';
import { createFilesystemSecretManager } from './filesystem.js';
import { createGcpSecretManager, gcpOptionsFromConfig } from './gcp.js';
import type { SecretManager } from './manager.js';
import { createVaultSecretManager, vaultOptionsFromConfig } from './vault.js';

export interface CreateSecretManagerOptions {
  /** Base folder for the filesystem manager (`--secrets-dir`); the config's `secrets_dir` wins. */
  secretsDir?: string;
  /** Manager settings: an object, a YAML/JSON file path, or inline JSON. */
  config?: Record<string, unknown> | string;
  env?: NodeJS.ProcessEnv;
}

type ManagerFactory = (config: Record<string, unknown>, opts: CreateSecretManagerOptions) => SecretManager;

/** Canonical name → factory. */
const FACTORIES: Record<string, ManagerFactory> = {
  env: (config, opts) =>
    createEnvSecretManager({
      prefix: optString(config, 'prefix'),
      delimiter: optString(config, 'delimiter'),
      allow_global_scope: optBool(config, 'allow_global_scope'),
      env: opts.env,
    }),
  filesystem: (config, opts) =>
    createFilesystemSecretManager({
      secrets_dir: optString(config, 'secrets_dir') ?? opts.secretsDir,
      env: opts.env,
    }),
  vault: (config, opts) => createVaultSecretManager(vaultOptionsFromConfig(config, opts.env ?? process.env)),
  aws: (config, opts) => createAwsSecretManager(awsOptionsFromConfig(config, opts.env ?? process.env)),
  gcp: (config, opts) => createGcpSecretManager(gcpOptionsFromConfig(config, opts.env ?? process.env)),
};

/** Every accepted name → its canonical name (the original's registry, case-insensitive). */
export const SECRET_MANAGER_ALIASES: Readonly<Record<string, string>> = {
  env: 'env',
  environment: 'env',
  filesystem: 'filesystem',
  fs: 'filesystem',
  file: 'filesystem',
  vault: 'vault',
  hashicorp: 'vault',
  hashicorp_vault: 'vault',
  aws: 'aws',
  aws_secrets_manager: 'aws',
  gcp: 'gcp',
  gcp_secret_manager: 'gcp',
};

export function createSecretManager(
  name: string | undefined,
  opts: CreateSecretManagerOptions = {},
): SecretManager {
  const env = opts.env ?? process.env;
  const requested = (name || env.DATIVO_SECRET_MANAGER || 'env').trim();
  const canonical = SECRET_MANAGER_ALIASES[requested.toLowerCase()];
  if (!canonical) {
    const known = Object.keys(SECRET_MANAGER_ALIASES).sort().join(', ');
    throw new DativoError('CONFIG_INVALID', `unknown secret manager "${requested}"; use one of: ${known}`, {
      location: { keyPath: 'secret_manager' },
    });
  }
  const config = loadSecretManagerConfig(opts.config ?? env.DATIVO_SECRET_MANAGER_CONFIG);
  return FACTORIES[canonical]!(config, { ...opts, env });
}

/** `--secret-manager-config`: an object as is, inline JSON, or a YAML/JSON file. */
export function loadSecretManagerConfig(
  config: Record<string, unknown> | string | undefined,
): Record<string, unknown> {
  if (config === undefined) return {};
  if (typeof config !== 'string') return config;
  const text = config.trim();
  if (text === '') return {};
  if (text.startsWith('{')) {
    try {
      return asObject(JSON.parse(text), 'the inline --secret-manager-config');
    } catch (err) {
      if (err instanceof DativoError) throw err;
      // The inline text may hold tokens, so it is not quoted back.
      throw new DativoError('CONFIG_INVALID', '--secret-manager-config is not valid inline JSON', {
        location: { keyPath: 'secret_manager_config' },
      });
    }
  }
  let body: string;
  try {
    body = readFileSync(text, 'utf8');
  } catch (err) {
    throw new DativoError('CONFIG_NOT_FOUND', `secret manager config file ${text} cannot be read`, {
      location: { file: text },
      cause: err,
    });
  }
  try {
    return asObject(parseYaml(body) ?? {}, text);
  } catch (err) {
    if (err instanceof DativoError) throw err;
    const pos = (err as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new DativoError('YAML_SYNTAX', `secret manager config ${text} is not valid YAML/JSON`, {
      location: { file: text, line: pos?.line, column: pos?.col },
      cause: err,
    });
  }
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new DativoError('CONFIG_INVALID', `${where} must be a mapping of settings`);
}

function optString(config: Record<string, unknown>, key: string): string | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    throw new DativoError('CONFIG_INVALID', `secret manager setting ${key} must be a string`, {
      location: { keyPath: key },
    });
  }
  return v;
}

function optBool(config: Record<string, unknown>, key: string): boolean | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  throw new DativoError('CONFIG_INVALID', `secret manager setting ${key} must be true or false`, {
    location: { keyPath: key },
  });
}
