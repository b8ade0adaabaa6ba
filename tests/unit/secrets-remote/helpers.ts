/** Shared bits of the remote secret manager tests. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadJob } from '../../../host/config/load-job.js';
import type { ResolvedJob } from '../../../host/config/types.js';
import { DativoError } from '../../../host/errors.js';
import { createSecretLookup } from '../../../host/secrets/lookup.js';
import type { SecretManager } from '../../../host/secrets/manager.js';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));

/** The DativoError a call throws (the test fails if it throws anything else or nothing). */
export async function errOf(fn: () => unknown): Promise<DativoError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof DativoError) return err;
    throw new Error(`expected a DativoError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected a DativoError, nothing was thrown');
}

/** A loopback URL where nothing listens (a server is opened, its port noted, and closed). */
export async function deadUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

/** tests/fixtures/secrets-job/job.yaml resolved with this manager's secrets for tenant acme. */
export async function resolveSecretsJob(manager: SecretManager): Promise<ResolvedJob> {
  const lookup = createSecretLookup(await manager.load('acme'));
  return loadJob('tests/fixtures/secrets-job/job.yaml', {
    cwd: REPO,
    env: { MY_API_TOKEN: 'env-api-token-0000', OUT_DIR: '/tmp/unused-out' },
    secrets: lookup,
  });
}
