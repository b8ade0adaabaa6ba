/**
 * The API's bearer token comes from the secret manager, like every other credential: the secret
 * named `api.token_secret` (default `orchestrator_api_token`) in the scope `api.secret_scope`
 * (default `orchestrator`). With the env manager that is e.g.
 * `DATIVO_SECRET__ORCHESTRATOR__ORCHESTRATOR_API_TOKEN` or `DATIVO_SECRET__GLOBAL__...`.
 */
import { DativoError, type Location } from '../errors.js';
import { createSecretLookup, createSecretManager } from '../secrets/index.js';

export interface TokenSource {
  secretManager?: string;
  secretsDir?: string;
  secretManagerConfig?: string;
  env?: NodeJS.ProcessEnv;
}

export async function loadApiToken(
  api: { tokenSecret: string; secretScope: string },
  src: TokenSource,
  where?: Location,
): Promise<string> {
  const manager = createSecretManager(src.secretManager, {
    secretsDir: src.secretsDir,
    config: src.secretManagerConfig,
    env: src.env ?? process.env,
  });
  let token: string | undefined;
  try {
    token = createSecretLookup(await manager.load(api.secretScope)).get(api.tokenSecret);
  } catch (err) {
    if (!(err instanceof DativoError && err.code === 'SECRETS_UNAVAILABLE')) throw err;
  }
  if (!token || token.trim() === '') {
    throw new DativoError(
      'SECRET_NOT_FOUND',
      `the API token secret "${api.tokenSecret}" was not found in scope "${api.secretScope}" of the ${manager.kind} secret manager ` +
        '(set it, or disable the API with api.enabled: false or --no-api)',
      where ? { location: where } : {},
    );
  }
  return token.trim();
}
