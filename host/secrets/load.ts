import { createSecretLookup, type SecretLookup } from './lookup.js';
import type { SecretManager } from './manager.js';

/** Load one tenant's secrets and wrap them in the lookup view the config layer reads. */
export async function loadSecrets(manager: SecretManager, tenant: string): Promise<SecretLookup> {
  return createSecretLookup(await manager.load(tenant));
}
