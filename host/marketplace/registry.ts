/**
 * A plugin registry URL (`--registry http://host:port/namespace`, or $DATIVO_PLUGIN_REGISTRY): the
 * registry origin plus an optional repository namespace; plugin NAME lives in `<namespace>/NAME`.
 * Credentials never come from the URL (they would end up in shell history and logs).
 */
import { DativoError } from '../errors.js';
import { registryCredentials, type SecretSource } from './credentials.js';
import { RegistryClient } from './oci-client.js';
import { type ArtifactStore, registryStore } from './store.js';

export interface PluginRegistry {
  client: RegistryClient;
  namespace: string;
  repoOf(name: string): string;
  store(name: string): ArtifactStore;
}

export function registryUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const url = flag ?? env.DATIVO_PLUGIN_REGISTRY;
  if (!url)
    throw new DativoError(
      'CONFIG_INVALID',
      'no plugin registry: pass --registry URL or set DATIVO_PLUGIN_REGISTRY',
    );
  return url;
}

export async function openRegistry(
  url: string,
  secrets: SecretSource,
  fetchImpl?: typeof fetch,
): Promise<PluginRegistry> {
  let parsed: URL;
  try {
    parsed = new URL(/^[a-z]+:\/\//i.test(url) ? url : `https://${url}`);
  } catch {
    throw new DativoError(
      'CONFIG_INVALID',
      `--registry "${url}" is not a URL (e.g. https://ghcr.io/acme or http://127.0.0.1:5000)`,
    );
  }
  if (parsed.username || parsed.password) {
    throw new DativoError(
      'CONFIG_INVALID',
      '--registry must not hold credentials; log in with skopeo login / docker login, or use the secret manager',
    );
  }
  const namespace = parsed.pathname.replace(/^\/+|\/+$/g, '');
  const credentials = await registryCredentials(parsed.host, secrets);
  const client = new RegistryClient(parsed.origin, {
    credentials,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  const repoOf = (name: string) => (namespace ? `${namespace}/${name}` : name);
  return { client, namespace, repoOf, store: (name) => registryStore(client, repoOf(name)) };
}
