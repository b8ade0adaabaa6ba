import NodeVault from 'node-vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretManager } from '../../../host/secrets/factory.js';
import { masker } from '../../../host/secrets/masker.js';
import { createVaultSecretManager, vaultOptionsFromConfig } from '../../../host/secrets/vault.js';
import { startVaultFake, type VaultFake } from '../../fakes/vault-fake.js';
import { deadUrl, errOf, resolveSecretsJob } from './helpers.js';

const ROOT_TOKEN = 'hvs.root-token-7a1c';
const TEAM_TOKEN = 'hvs.team-token-4b2d';
const ROLE = { role_id: 'role-1f0e9d', secret_id: 'approle-secret-8c7b6a' };

let fake: VaultFake;
beforeAll(async () => {
  fake = await startVaultFake({
    tokens: [ROOT_TOKEN],
    approle: [ROLE],
    mounts: {
      secret: {
        version: 2,
        secrets: {
          'dativo/acme': {
            db: '{"password":"vault-db-pw-1111","user":"ingest"}',
            api: { token: 'vault-api-tok-2222' },
            Plain_Name: 'plain-value-3333',
            expanded: 'pw-$VAULT_TEST_VAR',
          },
          'shared/common': { api: { token: 'shared-overrides-4444' }, extra: 'extra-5555' },
        },
      },
      kv: { version: 1, secrets: { 'legacy/acme': { pg: 'A=1\nPASSWORD=legacy-pw-6666' } } },
    },
    namespaces: {
      'team-a': {
        tokens: [TEAM_TOKEN],
        approle: [ROLE],
        approleMount: 'approle-dativo',
        mounts: {
          secret: {
            version: 2,
            secrets: { acme: { db: '{"password":"ns-db-pw-7777"}', api: '{"token":"ns-api-tok-8888"}' } },
          },
        },
      },
    },
  });
});
afterAll(() => fake.close());

const vault = (config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
  createVaultSecretManager(vaultOptionsFromConfig({ address: fake.url, ...config }, env));

describe('vault secret manager against the KV fake', () => {
  it('KV v2 with a token: each key is a secret, names lower-cased, JSON parsed, $VAR expanded, values masked', async () => {
    const secrets = await vault(
      { token: ROOT_TOKEN, path_template: 'dativo/{tenant}' },
      { VAULT_TEST_VAR: 'expanded-9999' },
    ).load('acme');
    expect(secrets).toEqual({
      db: { password: 'vault-db-pw-1111', user: 'ingest' },
      api: { token: 'vault-api-tok-2222' },
      plain_name: 'plain-value-3333',
      expanded: 'pw-expanded-9999',
    });
    const read = fake.requests.at(-1)!;
    expect(read.path).toBe('/v1/secret/data/dativo/acme');
    expect(read.headers['x-vault-token']).toBe(ROOT_TOKEN);
    expect(masker.mask('a vault-db-pw-1111 b vault-api-tok-2222 c')).toBe('a *** b *** c');
  });

  it('merges paths[] over path_template in order (later wins), across mounts and KV versions', async () => {
    const secrets = await vault({
      token: ROOT_TOKEN,
      path_template: 'dativo/{tenant}',
      paths: ['shared/common', { path: 'legacy/{tenant}', mount_point: 'kv', kv_version: 1 }],
    }).load('acme');
    expect(secrets.api).toEqual({ token: 'shared-overrides-4444' });
    expect(secrets.extra).toBe('extra-5555');
    expect(secrets.db).toEqual({ password: 'vault-db-pw-1111', user: 'ingest' });
    expect(secrets.pg).toEqual({ A: '1', PASSWORD: 'legacy-pw-6666' });
    expect(fake.requests.slice(-3).map((r) => r.path)).toEqual([
      '/v1/secret/data/dativo/acme',
      '/v1/secret/data/shared/common',
      '/v1/kv/legacy/acme',
    ]);
  });

  it('KV v1 reads {mount}/{path} without data/', async () => {
    const secrets = await vault({
      token: ROOT_TOKEN,
      mount_point: 'kv',
      kv_version: 1,
      path_template: 'legacy/{tenant}',
    }).load('acme');
    expect(secrets).toEqual({ pg: { A: '1', PASSWORD: 'legacy-pw-6666' } });
  });

  it('AppRole login in a namespace: the login and the reads carry X-Vault-Namespace, reads use the issued token', async () => {
    const before = fake.requests.length;
    const secrets = await vault({
      auth_method: 'approle',
      role_id: ROLE.role_id,
      secret_id: ROLE.secret_id,
      approle_mount_point: 'approle-dativo',
      namespace: 'team-a',
      path_template: '{tenant}',
    }).load('acme');
    expect(secrets).toEqual({ db: { password: 'ns-db-pw-7777' }, api: { token: 'ns-api-tok-8888' } });
    const [login, read] = fake.requests.slice(before);
    expect(login).toMatchObject({ method: 'POST', path: '/v1/auth/approle-dativo/login' });
    expect(JSON.parse(login!.body)).toEqual(ROLE);
    expect(login!.headers['x-vault-namespace']).toBe('team-a');
    expect(read!.headers['x-vault-namespace']).toBe('team-a');
    expect(read!.headers['x-vault-token']).toBe(fake.issuedTokens.at(-1));
    expect(masker.mask(`t=${fake.issuedTokens.at(-1)}`)).toBe('t=***');
  });

  it('a namespace token does not work outside its namespace (403 → AUTHENTICATION_FAILED)', async () => {
    const err = await errOf(() =>
      vault({ token: TEAM_TOKEN, path_template: 'dativo/{tenant}' }).load('acme'),
    );
    expect(err.code).toBe('AUTHENTICATION_FAILED');
  });

  it('a wrong token → AUTHENTICATION_FAILED naming the path, never the token', async () => {
    const bad = 'hvs.wrong-token-abcdef';
    const err = await errOf(() => vault({ token: bad, path_template: 'dativo/{tenant}' }).load('acme'));
    expect(err.code).toBe('AUTHENTICATION_FAILED');
    expect(err.message).toContain('secret/data/dativo/acme');
    expect(err.message).not.toContain(bad);
    expect(err.cause).toBeUndefined();
  });

  it('a wrong AppRole secret_id → AUTHENTICATION_FAILED without the ids', async () => {
    const err = await errOf(() =>
      vault({ auth_method: 'approle', role_id: ROLE.role_id, secret_id: 'wrong-secret-id-1234' }).load(
        'acme',
      ),
    );
    expect(err.code).toBe('AUTHENTICATION_FAILED');
    expect(err.message).toMatch(/AppRole/);
    expect(err.message).not.toContain('wrong-secret-id-1234');
  });

  it('a missing path → SECRET_NOT_FOUND naming the path', async () => {
    const err = await errOf(() =>
      vault({ token: ROOT_TOKEN, path_template: 'dativo/{tenant}' }).load('nobody'),
    );
    expect(err.code).toBe('SECRET_NOT_FOUND');
    expect(err.message).toContain('secret/data/dativo/nobody');
  });

  it('kv_version 1 against a v2 mount is not found (Vault answers 404 for the unversioned path)', async () => {
    const err = await errOf(() =>
      vault({ token: ROOT_TOKEN, kv_version: 1, path_template: 'dativo/{tenant}' }).load('acme'),
    );
    expect(err.code).toBe('SECRET_NOT_FOUND');
    expect(err.message).toContain('secret/dativo/acme');
  });

  it('an unreachable server → CONNECTION_FAILED, retryable', async () => {
    const address = await deadUrl();
    const err = await errOf(() =>
      createVaultSecretManager(vaultOptionsFromConfig({ address, token: ROOT_TOKEN }, {})).load('acme'),
    );
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(address);
    expect(err.message).not.toContain(ROOT_TOKEN);
  });

  it('config: aliases, inline JSON, $VAULT_ADDR/$VAULT_TOKEN fallbacks and the mistakes', async () => {
    const m = createSecretManager('hashicorp', {
      env: { VAULT_ADDR: fake.url, VAULT_TOKEN: ROOT_TOKEN },
      config: '{"path_template":"dativo/{tenant}"}',
    });
    expect(m.kind).toBe('vault');
    expect((await m.load('acme')).plain_name).toBe('plain-value-3333');
    expect((await errOf(() => createSecretManager('vault', { env: {}, config: {} }))).message).toMatch(
      /address/,
    );
    expect((await errOf(() => vaultOptionsFromConfig({ address: 'http://x' }, {}))).message).toMatch(/token/);
    expect(
      (await errOf(() => vaultOptionsFromConfig({ address: 'http://x', token: 't', kv_version: 3 }, {})))
        .code,
    ).toBe('CONFIG_INVALID');
    expect(
      (
        await errOf(() =>
          vaultOptionsFromConfig({ address: 'http://x', auth_method: 'approle', role_id: 'r' }, {}),
        )
      ).location?.keyPath,
    ).toBe('secret_id');
    expect(
      (await errOf(() => vault({ token: ROOT_TOKEN, path_template: '{tenant}/{name}' }).load('acme')))
        .message,
    ).toMatch(/\{name\}/);
  });

  it("resolves the secrets job's ${secret:...} credentials through the job loader", async () => {
    const job = await resolveSecretsJob(vault({ token: ROOT_TOKEN, path_template: 'dativo/{tenant}' }));
    expect(job.source.credentials.bearer).toBe('vault-api-tok-2222');
    expect(JSON.stringify(job.source)).toContain('vault-db-pw-1111');
  });
});

describe('the vault fake speaks what node-vault expects (wire cross-check)', () => {
  it('node-vault reads KV v2/v1, logs in with AppRole and sees Vault-shaped errors', async () => {
    const client = NodeVault({ endpoint: fake.url, token: ROOT_TOKEN });
    const v2 = await client.read('secret/data/dativo/acme');
    expect(v2.data.data.plain_name ?? v2.data.data.Plain_Name).toBe('plain-value-3333');
    expect(v2.data.metadata.version).toBe(1);
    const v1 = await client.read('kv/legacy/acme');
    expect(v1.data.pg).toContain('legacy-pw-6666');
    const login = await NodeVault({ endpoint: fake.url }).approleLogin(ROLE);
    expect(login.auth.client_token).toMatch(/^hvs\./);
    await expect(
      NodeVault({ endpoint: fake.url, token: 'nope' }).read('secret/data/dativo/acme'),
    ).rejects.toMatchObject({
      message: 'permission denied',
      response: { statusCode: 403 },
    });
    await expect(client.read('secret/data/missing')).rejects.toMatchObject({ response: { statusCode: 404 } });
  });
});
