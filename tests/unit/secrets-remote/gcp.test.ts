import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretManager } from '../../../host/secrets/factory.js';
import { createGcpSecretManager, endpointOptions, gcpOptionsFromConfig } from '../../../host/secrets/gcp.js';
import { masker } from '../../../host/secrets/masker.js';
import { type GcpSecretsFake, startGcpSecretsFake } from '../../fakes/gcp-secrets-fake.js';
import { deadUrl, errOf, resolveSecretsJob } from './helpers.js';

const TOKEN = 'ya29.fake-access-token-5e4d3c';

let fake: GcpSecretsFake;
beforeAll(async () => {
  fake = await startGcpSecretsFake({
    projectId: 'dativo-test',
    tokens: [TOKEN],
    secrets: {
      'acme-db': '{"password":"gcp-db-pw-1111"}',
      'acme-api': ['{"token":"old-tok"}', '{"token":"gcp-api-tok-2222"}'],
      'acme-plain': 'gcp-plain-3333',
      'acme-disabled': ['first-4444', { data: 'disabled-5555', enabled: false }],
      'other-acme-db': 'not-for-acme-6666',
      'bundle-acme': 'DB_PASSWORD=gcp-bundle-pw-7777\nAPI_TOKEN=$GCP_TEST_VAR\n',
    },
  });
});
afterAll(() => fake.close());

const gcp = (config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
  createGcpSecretManager(
    gcpOptionsFromConfig(
      { project_id: 'dativo-test', api_endpoint: fake.url, access_token: TOKEN, ...config },
      env,
    ),
  );

describe('gcp secret manager against the Secret Manager REST fake', () => {
  it('secrets[] mode over REST: {tenant}-{name} ids, latest and pinned versions, bearer auth', async () => {
    const secrets = await gcp({
      secrets: [
        'db',
        { name: 'API', id: '{tenant}-api' },
        { name: 'api_v1', id: '{tenant}-api', version: '1' },
        { name: 'plain', format: 'text' },
      ],
    }).load('acme');
    expect(secrets).toEqual({
      db: { password: 'gcp-db-pw-1111' },
      api: { token: 'gcp-api-tok-2222' },
      api_v1: { token: 'old-tok' },
      plain: 'gcp-plain-3333',
    });
    const access = fake.requests.find((r) => r.path.endsWith(':access'))!;
    expect(access.path).toBe('/v1/projects/dativo-test/secrets/acme-db/versions/latest:access');
    expect(access.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(String(access.headers['x-goog-api-client'])).toMatch(/gapic\/6\./);
    expect(masker.mask('gcp-db-pw-1111')).toBe('***');
  });

  it("without secrets[]: ListSecrets with a name filter finds the tenant's secrets by prefix", async () => {
    const secrets = await gcp({}).load('acme');
    expect(Object.keys(secrets).sort()).toEqual(['api', 'db', 'disabled', 'plain']);
    expect(secrets.disabled).toBe('first-4444'); // latest skips the disabled version
    const list = fake.requests.find((r) => r.path === '/v1/projects/dativo-test/secrets')!;
    expect(decodeURIComponent(list.query)).toContain('filter=name:acme-');
  });

  it('bundle mode with $VAR expansion', async () => {
    const secrets = await gcp(
      { bundle_secret_id_template: 'bundle-{tenant}' },
      { GCP_TEST_VAR: 'gcp-expanded-8888' },
    ).load('acme');
    expect(secrets).toEqual({ db_password: 'gcp-bundle-pw-7777', api_token: 'gcp-expanded-8888' });
  });

  it('a wrong token → AUTHENTICATION_FAILED without the token; another project → AUTHENTICATION_FAILED', async () => {
    const err = await errOf(() =>
      gcp({ access_token: 'ya29.wrong-token-9999', secrets: ['db'] }).load('acme'),
    );
    expect(err.code).toBe('AUTHENTICATION_FAILED');
    expect(err.message).not.toContain('ya29.wrong-token-9999');
    expect(err.cause).toBeUndefined();
    const other = await errOf(() => gcp({ project_id: 'someone-else', secrets: ['db'] }).load('acme'));
    expect(other.code).toBe('AUTHENTICATION_FAILED');
  });

  it('a missing secret or version → SECRET_NOT_FOUND naming it', async () => {
    const err = await errOf(() => gcp({ secrets: ['nope'] }).load('acme'));
    expect(err.code).toBe('SECRET_NOT_FOUND');
    expect(err.message).toContain('projects/dativo-test/secrets/acme-nope/versions/latest');
    const version = await errOf(() => gcp({ secrets: [{ name: 'db', version: '7' }] }).load('acme'));
    expect(version.code).toBe('SECRET_NOT_FOUND');
  });

  it('an unreachable endpoint → CONNECTION_FAILED, retryable', async () => {
    const dead = await deadUrl();
    const e = await errOf(() => gcp({ api_endpoint: dead, secrets: ['db'] }).load('acme'));
    expect(e.code).toBe('CONNECTION_FAILED');
    expect(e.retryable).toBe(true);
  });

  it('config: project required, endpoint forms, factory alias', async () => {
    expect((await errOf(() => gcpOptionsFromConfig({}, {}))).location?.keyPath).toBe('project_id');
    expect(endpointOptions('http://127.0.0.1:9000')).toEqual({
      apiEndpoint: '127.0.0.1',
      port: 9000,
      protocol: 'http',
    });
    expect(endpointOptions('secretmanager.googleapis.com')).toEqual({
      apiEndpoint: 'secretmanager.googleapis.com',
      port: 443,
      protocol: 'https',
    });
    const m = createSecretManager('gcp_secret_manager', {
      env: { GOOGLE_CLOUD_PROJECT: 'dativo-test' },
      config: { api_endpoint: fake.url, access_token: TOKEN, secrets: ['plain'] },
    });
    expect(await m.load('acme')).toEqual({ plain: 'gcp-plain-3333' });
  });

  it("resolves the secrets job's ${secret:...} credentials through the job loader", async () => {
    const job = await resolveSecretsJob(gcp({ secrets: ['db', 'api'] }));
    expect(job.source.credentials.bearer).toBe('gcp-api-tok-2222');
    expect(JSON.stringify(job.source)).toContain('gcp-db-pw-1111');
  });
});
