/** A credential travels from the filesystem secret manager into the one connector that asks for it. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadJob } from '../../../host/config/load-job.js';
import { createSecretLookup, createSecretManager, masker } from '../../../host/secrets/index.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-cred-'));
  await mkdir(path.join(dir, 'acme'));
  await writeFile(path.join(dir, 'acme', 'db.env'), 'PASSWORD=fs-db-password-123\n');
  await writeFile(path.join(dir, 'acme', 'api.json'), JSON.stringify({ token: 'fs-api-token-456' }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it('resolves ${secret:...} from files into the source credentials and connection, masked everywhere', async () => {
  const manager = createSecretManager('filesystem', { secretsDir: dir, env: {} });
  const secrets = createSecretLookup(await manager.load('acme'));
  const job = await loadJob(path.join(REPO, 'tests/fixtures/secrets-job/job.yaml'), {
    cwd: REPO,
    env: { OUT_DIR: path.join(dir, 'out'), MY_API_TOKEN: 'env-token-789' },
    secrets,
  });
  expect(job.source.config.connection).toMatchObject({ password: 'fs-db-password-123' });
  expect(job.source.config.credentials).toMatchObject({
    bearer: 'fs-api-token-456',
    api_token: 'env-token-789',
  });
  // only the source asked for them: the target's block carries none
  expect(JSON.stringify(job.target.config)).not.toContain('fs-');
  for (const v of ['fs-db-password-123', 'fs-api-token-456', 'env-token-789']) {
    expect(masker.mask(`value=${v}`)).toBe('value=***');
  }
});
