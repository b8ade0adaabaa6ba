/**
 * Registry credentials and key passwords, from where the standard tools keep them and never from
 * the command line: the docker/containers auth file (`$REGISTRY_AUTH_FILE`, as skopeo and ORAS read
 * it, else `~/.docker/config.json`) or the secret manager (`plugin_registry_auth`: JSON
 * `{username, password}` or `{token}`; `plugin_key_password`). Values found are registered with the
 * masker, so they cannot reach a log line or an error.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DativoError } from '../errors.js';
import { createSecretManager } from '../secrets/factory.js';
import { masker } from '../secrets/masker.js';

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** A bearer token used as is (the auth file's `registrytoken`). */
  registryToken?: string;
}

export interface SecretSource {
  secretManager?: string | undefined;
  secretsDir?: string | undefined;
  secretManagerConfig?: string | undefined;
  tenantId?: string | undefined;
}

export function authFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.REGISTRY_AUTH_FILE || path.join(env.HOME || os.homedir(), '.docker', 'config.json');
}

/** The auth file's entry for `host[:port]` (keys may be bare hosts or URLs, as docker writes them). */
export function credentialsFromAuthFile(
  hostPort: string,
  env: NodeJS.ProcessEnv = process.env,
): RegistryCredentials | undefined {
  const file = authFilePath(env);
  if (!existsSync(file)) return undefined;
  let auths: Record<string, { auth?: string; username?: string; password?: string; registrytoken?: string }>;
  try {
    auths = (JSON.parse(readFileSync(file, 'utf8')) as { auths?: typeof auths }).auths ?? {};
  } catch {
    throw new DativoError('CONFIG_INVALID', `${file} is not valid JSON (the registry auth file)`, {
      location: { file },
    });
  }
  const entry = Object.entries(auths).find(([key]) => hostOf(key) === hostPort)?.[1];
  if (!entry) return undefined;
  const creds: RegistryCredentials = {};
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    creds.username = decoded.slice(0, colon);
    creds.password = decoded.slice(colon + 1);
  }
  if (entry.username) creds.username = entry.username;
  if (entry.password) creds.password = entry.password;
  if (entry.registrytoken) creds.registryToken = entry.registrytoken;
  return registered(creds);
}

function hostOf(key: string): string {
  return key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

function registered(creds: RegistryCredentials): RegistryCredentials {
  for (const v of [creds.password, creds.registryToken]) if (v) masker.register(v);
  return creds;
}

/** One secret by name from the configured secret manager (env by default); undefined when absent. */
export async function secretFromManager(name: string, src: SecretSource): Promise<string | undefined> {
  const manager = createSecretManager(src.secretManager, {
    ...(src.secretsDir ? { secretsDir: src.secretsDir } : {}),
    ...(src.secretManagerConfig ? { config: src.secretManagerConfig } : {}),
  });
  let all: Record<string, unknown>;
  try {
    all = await manager.load(src.tenantId ?? 'default');
  } catch (err) {
    if (err instanceof DativoError && err.code === 'SECRETS_UNAVAILABLE' && !src.secretManager)
      return undefined;
    throw err;
  }
  const key = Object.keys(all).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : all[key];
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  masker.register(text);
  return text;
}

/** Credentials for a registry: the auth file first, then the secret manager's `plugin_registry_auth`. */
export async function registryCredentials(
  hostPort: string,
  src: SecretSource,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RegistryCredentials | undefined> {
  const fromFile = credentialsFromAuthFile(hostPort, env);
  if (fromFile) return fromFile;
  const secret = await secretFromManager('plugin_registry_auth', src);
  if (!secret) return undefined;
  try {
    const parsed = JSON.parse(secret) as { username?: string; password?: string; token?: string };
    return registered({
      ...(parsed.username ? { username: parsed.username } : {}),
      ...(parsed.password ? { password: parsed.password } : {}),
      ...(parsed.token ? { registryToken: parsed.token } : {}),
    });
  } catch {
    throw new DativoError(
      'CONFIG_INVALID',
      'the secret plugin_registry_auth is not JSON {username, password} or {token}',
    );
  }
}
