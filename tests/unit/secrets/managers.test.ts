import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DativoError } from '../../../host/errors.js';
import { createEnvSecretManager } from '../../../host/secrets/env.js';
import { createSecretManager } from '../../../host/secrets/factory.js';
import { createFilesystemSecretManager } from '../../../host/secrets/filesystem.js';
import { createSecretLookup, loadSecrets } from '../../../host/secrets/index.js';
import { masker } from '../../../host/secrets/masker.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dativo-secrets-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return err instanceof DativoError ? err.code : 'NOT_DATIVO';
  }
  return undefined;
}

describe('env secret manager', () => {
  const env = {
    DATIVO_SECRET__ACME__PG_PASSWORD: 'tenant-pw-1',
    DATIVO_SECRET__GLOBAL__PG_PASSWORD: 'global-pw-1',
    dativo_secret__global__Stripe_Key: 'sk_test_global',
    DATIVO_SECRET__ALL__SHARED__TOKEN: 'shared-token-9',
    DATIVO_SECRET__ACME__POSTGRES__json: '{"user":"svc","password":"$PGPASS_SRC"}',
    DATIVO_SECRET__ACME__NOTE__text: '{"kept":"as text"}',
    DATIVO_SECRET__ACME__BLOB__env: 'A=1\nB=two',
    DATIVO_SECRET__OTHER__PG_PASSWORD: 'other-tenant-pw',
    DATIVO_SECRET__ACME__TEXT: 'a secret named text',
    PGPASS_SRC: 'expanded-pw',
    UNRELATED: 'x',
  };

  it('loads tenant and global scopes, tenant wins, names lower-cased, hints applied', async () => {
    const secrets = await createEnvSecretManager({ env }).load('acme');
    expect(secrets).toEqual({
      pg_password: 'tenant-pw-1',
      stripe_key: 'sk_test_global',
      shared_token: 'shared-token-9',
      postgres: { user: 'svc', password: 'expanded-pw' },
      note: '{"kept":"as text"}',
      blob: { A: '1', B: 'two' },
      text: 'a secret named text',
    });
  });

  it('matches the tenant case-insensitively and never loads another tenant', async () => {
    const secrets = await createEnvSecretManager({ env }).load('AcMe');
    expect(secrets.pg_password).toBe('tenant-pw-1');
    expect(Object.values(secrets)).not.toContain('other-tenant-pw');
  });

  it('honours allow_global_scope=false, a custom prefix and delimiter', async () => {
    const noGlobal = await createEnvSecretManager({ env, allow_global_scope: false }).load('acme');
    expect(Object.keys(noGlobal).sort()).toEqual(['blob', 'note', 'pg_password', 'postgres', 'text']);
    const custom = await createEnvSecretManager({
      env: { MYSEC_ACME_API_KEY: 'k-12345', MYSEC_GLOBAL_X: 'gx-123' },
      prefix: 'mysec',
      delimiter: '_',
    }).load('acme');
    expect(custom).toEqual({ api_key: 'k-12345', x: 'gx-123' });
  });

  it('registers every loaded value with the masker', async () => {
    await createEnvSecretManager({ env }).load('acme');
    expect(masker.mask('pw=tenant-pw-1 json=expanded-pw g=sk_test_global')).toBe('pw=*** json=*** g=***');
  });
});

describe('filesystem secret manager', () => {
  const root = path.join(tmp, 'fs');
  mkdirSync(path.join(root, 'acme', 'nested'), { recursive: true });
  writeFileSync(path.join(root, 'acme', 'Postgres.json'), '{"user":"svc","password":"fs-pw-$FS_SUFFIX"}');
  writeFileSync(path.join(root, 'acme', 'stripe.env'), 'STRIPE_API_KEY=sk_fs_123\n');
  writeFileSync(path.join(root, 'acme', 'token.txt'), '  tok-fs-456 \n');
  writeFileSync(path.join(root, 'acme', 'raw_key'), 'raw-fs-789\n');
  writeFileSync(path.join(root, 'acme', '.hidden'), 'nope-nope');
  mkdirSync(path.join(root, 'broken'), { recursive: true });
  writeFileSync(path.join(root, 'broken', 'bad.json'), '{"password": leaked-value}');

  it('reads .json, .env and text files keyed by lower-cased stem', async () => {
    const secrets = await createFilesystemSecretManager({ secrets_dir: root, env: { FS_SUFFIX: 'z' } }).load(
      'acme',
    );
    expect(secrets).toEqual({
      postgres: { user: 'svc', password: 'fs-pw-z' },
      stripe: { STRIPE_API_KEY: 'sk_fs_123' },
      token: 'tok-fs-456',
      raw_key: 'raw-fs-789',
    });
    expect(masker.mask('sk_fs_123 tok-fs-456 fs-pw-z')).toBe('*** *** ***');
  });

  it('fails with SECRETS_UNAVAILABLE naming the missing tenant folder', async () => {
    const err = await createFilesystemSecretManager({ secrets_dir: root })
      .load('ghost')
      .catch((e: unknown) => e as DativoError);
    expect(err).toBeInstanceOf(DativoError);
    expect((err as DativoError).code).toBe('SECRETS_UNAVAILABLE');
    expect((err as DativoError).message).toContain(path.join(root, 'ghost'));
    expect((err as DativoError).message).toContain('does not exist');
  });

  it('names a broken JSON file without printing its content', async () => {
    const err = (await createFilesystemSecretManager({ secrets_dir: root })
      .load('broken')
      .catch((e: unknown) => e)) as DativoError;
    expect(err.code).toBe('SECRETS_UNAVAILABLE');
    expect(err.message).toContain(path.join(root, 'broken', 'bad.json'));
    expect(err.message).not.toContain('leaked-value');
  });
});

describe('createSecretManager', () => {
  it('maps every alias to its kind and defaults to $DATIVO_SECRET_MANAGER, then env', () => {
    for (const a of ['env', 'environment', 'ENV'])
      expect(createSecretManager(a, { env: {} }).kind).toBe('env');
    for (const a of ['filesystem', 'fs', 'file'])
      expect(createSecretManager(a, { env: {} }).kind).toBe('filesystem');
    expect(createSecretManager(undefined, { env: {} }).kind).toBe('env');
    expect(createSecretManager(undefined, { env: { DATIVO_SECRET_MANAGER: 'fs' } }).kind).toBe('filesystem');
  });

  it('refuses vault/aws/gcp without their settings, and unknown names, with CONFIG_INVALID', async () => {
    for (const a of ['vault', 'hashicorp', 'aws', 'gcp']) {
      expect(await codeOf(() => createSecretManager(a, { env: {} }))).toBe('CONFIG_INVALID');
    }
    expect(await codeOf(() => createSecretManager('keychain', { env: {} }))).toBe('CONFIG_INVALID');
  });

  it('reads config from inline JSON, a YAML file, an object and $DATIVO_SECRET_MANAGER_CONFIG', async () => {
    const env = { CUSTOM__ACME__K: 'inline-val' };
    const inline = createSecretManager('env', { env, config: '{"prefix":"custom"}' });
    expect(await inline.load('acme')).toEqual({ k: 'inline-val' });

    const yamlFile = path.join(tmp, 'sm.yaml');
    writeFileSync(yamlFile, `secrets_dir: ${JSON.stringify(path.join(tmp, 'fs'))}\n`);
    const fromFile = createSecretManager('fs', { env: {}, config: yamlFile, secretsDir: '/nonexistent' });
    expect((await fromFile.load('acme')).token).toBe('tok-fs-456');

    const fromEnv = createSecretManager('env', {
      env: { ...env, DATIVO_SECRET_MANAGER_CONFIG: '{"prefix":"custom"}' },
    });
    expect(await fromEnv.load('acme')).toEqual({ k: 'inline-val' });

    const fromDir = createSecretManager('filesystem', { env: {}, secretsDir: path.join(tmp, 'fs') });
    expect((await fromDir.load('acme')).raw_key).toBe('raw-fs-789');

    expect(
      await codeOf(() => createSecretManager('env', { env: {}, config: path.join(tmp, 'nope.yaml') })),
    ).toBe('CONFIG_NOT_FOUND');
    expect(await codeOf(() => createSecretManager('env', { env: {}, config: '{bad' }))).toBe(
      'CONFIG_INVALID',
    );
  });
});

describe('SecretLookup', () => {
  it('is case-insensitive and addresses JSON/dotenv leaves as name.key', async () => {
    const manager = createEnvSecretManager({
      env: {
        DATIVO_SECRET__ACME__PG__json:
          '{"User":"svc","Password":"lk-pw-1","opts":{"sslmode":"require","port":5432}}',
        DATIVO_SECRET__ACME__API_TOKEN: 'lk-token-2',
      },
    });
    const lookup = await loadSecrets(manager, 'acme');
    expect(lookup.get('API_TOKEN')).toBe('lk-token-2');
    expect(lookup.get('pg.password')).toBe('lk-pw-1');
    expect(lookup.get('PG.USER')).toBe('svc');
    expect(lookup.get('pg.opts.sslmode')).toBe('require');
    expect(lookup.get('pg.opts.port')).toBe('5432');
    expect(JSON.parse(lookup.get('pg') ?? '')).toEqual({
      User: 'svc',
      Password: 'lk-pw-1',
      opts: { sslmode: 'require', port: 5432 },
    });
    expect(lookup.get('missing')).toBeUndefined();
    expect(lookup.get('pg.missing')).toBeUndefined();
    expect(Object.keys(lookup.all()).sort()).toEqual(['api_token', 'pg']);
  });

  it('prefers a top-level name containing a dot over a leaf path', () => {
    const lookup = createSecretLookup({ 'a.b': 'top-level', a: { b: 'leaf' } });
    expect(lookup.get('A.B')).toBe('top-level');
  });
});
