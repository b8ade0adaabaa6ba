export { createAwsSecretManager } from './aws.js';
export { createEnvSecretManager, type EnvSecretManagerOptions } from './env.js';
export {
  type CreateSecretManagerOptions,
  createSecretManager,
  loadSecretManagerConfig,
  SECRET_MANAGER_ALIASES,
} from './factory.js';
export {
  createFilesystemSecretManager,
  DEFAULT_SECRETS_DIR,
  type FilesystemSecretManagerOptions,
} from './filesystem.js';
export { createGcpSecretManager } from './gcp.js';
export { loadSecrets } from './load.js';
export { createSecretLookup, type SecretLookup } from './lookup.js';
export type { SecretManager } from './manager.js';
export { isCredentialKey, Masker, masker } from './masker.js';
export { expandVars, expandVarsDeep, parseDotenv, parseSecretPayload, type SecretFormat } from './parse.js';
export { createVaultSecretManager } from './vault.js';
