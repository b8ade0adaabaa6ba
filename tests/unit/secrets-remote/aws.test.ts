import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsOptionsFromConfig, createAwsSecretManager } from '../../../host/secrets/aws.js';
import { createSecretManager } from '../../../host/secrets/factory.js';
import { masker } from '../../../host/secrets/masker.js';
import { type AwsSecretsFake, startAwsSecretsFake } from '../../fakes/aws-secrets-fake.js';
import { deadUrl, errOf, resolveSecretsJob } from './helpers.js';

const KEY_ID = 'AKIAFAKEDATIVO00001';
const SECRET_KEY = 'aws-secret-key-0a1b2c3d4e5f';

let fake: AwsSecretsFake;
beforeAll(async () => {
  fake = await startAwsSecretsFake({
    credentials: { [KEY_ID]: SECRET_KEY },
    region: 'eu-west-1',
    secrets: {
      'acme/db': '{"password":"aws-db-pw-1111","user":"ingest"}',
      'acme/api': '{"token":"aws-api-tok-2222"}',
      'acme/plain': 'aws-plain-3333',
      'acme/rotated': [
        { id: 'v-new', stages: ['AWSCURRENT'], string: 'current-4444' },
        { id: 'v-old', stages: ['AWSPREVIOUS'], string: 'previous-5555' },
      ],
      'acme/binary': [{ binary: new TextEncoder().encode('KEY=binary-6666\nOTHER=$AWS_TEST_VAR') }],
      'other/db': 'not-for-acme-7777',
      'bundles/acme':
        '{"db":{"password":"bundle-db-pw-8888"},"api":{"token":"bundle-api-tok-9999"},"Note":"bundle-note"}',
      'bundles/acme-env': 'DB_PASSWORD=env-bundle-pw-1212\nAPI_TOKEN=env-bundle-tok-3434\n',
    },
  });
});
afterAll(() => fake.close());

const base = () => ({
  region_name: 'eu-west-1',
  endpoint: fake.url,
  access_key_id: KEY_ID,
  secret_access_key: SECRET_KEY,
});
const aws = (config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
  createAwsSecretManager(awsOptionsFromConfig({ ...base(), ...config }, env));

describe('aws secret manager against the Secrets Manager fake (SigV4 verified)', () => {
  it('secrets[] mode: ids from {tenant}/{name}, format hints, version stages and ids, binary secrets', async () => {
    const secrets = await aws(
      {
        secrets: [
          'db',
          { name: 'API', id: '{tenant}/api', format: 'json' },
          { name: 'plain' },
          { name: 'rotated', version_stage: 'AWSPREVIOUS' },
          { name: 'current', id: '{tenant}/rotated', version_id: 'v-new' },
          { name: 'binary', format: 'env' },
        ],
      },
      { AWS_TEST_VAR: 'expanded-0000' },
    ).load('acme');
    expect(secrets).toEqual({
      db: { password: 'aws-db-pw-1111', user: 'ingest' },
      api: { token: 'aws-api-tok-2222' },
      plain: 'aws-plain-3333',
      rotated: 'previous-5555',
      current: 'current-4444',
      binary: { KEY: 'binary-6666', OTHER: 'expanded-0000' },
    });
    const get = fake.requests.find((r) => r.target === 'secretsmanager.GetSecretValue')!;
    expect(get.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(String(get.headers.authorization)).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=${KEY_ID}/\\d{8}/eu-west-1/secretsmanager/aws4_request`),
    );
    expect(
      fake.requests.some((r) => (r.body as { VersionStage?: string }).VersionStage === 'AWSPREVIOUS'),
    ).toBe(true);
    expect(masker.mask('x aws-db-pw-1111 y')).toBe('x *** y');
  });

  it("without secrets[]: ListSecrets finds the tenant's secrets by the template's prefix", async () => {
    const secrets = await aws({}).load('acme');
    expect(Object.keys(secrets).sort()).toEqual(['api', 'binary', 'db', 'plain', 'rotated']);
    expect(secrets.rotated).toBe('current-4444');
    expect(Object.values(secrets)).not.toContain('not-for-acme-7777');
    const list = fake.requests.filter((r) => r.target === 'secretsmanager.ListSecrets').at(-1)!;
    expect(list.body).toMatchObject({ Filters: [{ Key: 'name', Values: ['acme/'] }] });
    expect((await errOf(() => aws({ secret_id_template: '{name}-{tenant}' }).load('acme'))).code).toBe(
      'CONFIG_INVALID',
    );
  });

  it('bundle mode: one JSON or dotenv secret names many', async () => {
    const json = await aws({ bundle_secret_id_template: 'bundles/{tenant}' }).load('acme');
    expect(json).toEqual({
      db: { password: 'bundle-db-pw-8888' },
      api: { token: 'bundle-api-tok-9999' },
      note: 'bundle-note',
    });
    const env = await aws({ bundle_secret_id_template: 'bundles/{tenant}-env', bundle_format: 'env' }).load(
      'acme',
    );
    expect(env).toEqual({ db_password: 'env-bundle-pw-1212', api_token: 'env-bundle-tok-3434' });
    expect(masker.mask('env-bundle-pw-1212')).toBe('***');
    const notMap = await errOf(() => aws({ bundle_secret_id_template: '{tenant}/plain' }).load('acme'));
    expect(notMap.code).toBe('SECRETS_UNAVAILABLE');
    expect(notMap.message).not.toContain('aws-plain-3333');
  });

  it('a wrong secret key → InvalidSignatureException → AUTHENTICATION_FAILED, key not in the message', async () => {
    const err = await errOf(() =>
      aws({ secret_access_key: 'wrong-secret-key-xyz123', secrets: ['db'] }).load('acme'),
    );
    expect(err.code).toBe('AUTHENTICATION_FAILED');
    expect(err.message).toContain('InvalidSignatureException');
    expect(err.message).not.toContain('wrong-secret-key-xyz123');
    const unknown = await errOf(() => aws({ access_key_id: 'AKIAUNKNOWN', secrets: ['db'] }).load('acme'));
    expect(unknown.code).toBe('AUTHENTICATION_FAILED');
    expect(unknown.message).toContain('UnrecognizedClientException');
  });

  it('a missing secret or version → SECRET_NOT_FOUND naming the id', async () => {
    const err = await errOf(() => aws({ secrets: ['nope'] }).load('acme'));
    expect(err.code).toBe('SECRET_NOT_FOUND');
    expect(err.message).toContain('acme/nope');
    const stage = await errOf(() =>
      aws({ secrets: [{ name: 'db', version_stage: 'AWSPENDING' }] }).load('acme'),
    );
    expect(stage.code).toBe('SECRET_NOT_FOUND');
  });

  it('an unreachable endpoint → CONNECTION_FAILED, retryable', async () => {
    const endpoint = await deadUrl();
    const err = await errOf(() => aws({ endpoint, secrets: ['db'], max_attempts: 1 }).load('acme'));
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(err.retryable).toBe(true);
  });

  it('config: region required, keys go in pairs, aliases through the factory', async () => {
    expect((await errOf(() => awsOptionsFromConfig({}, {}))).location?.keyPath).toBe('region_name');
    expect((await errOf(() => awsOptionsFromConfig({ region: 'x', access_key_id: 'A' }, {}))).code).toBe(
      'CONFIG_INVALID',
    );
    const m = createSecretManager('aws_secrets_manager', {
      env: { AWS_REGION: 'eu-west-1' },
      config: JSON.stringify({
        endpoint: fake.url,
        access_key_id: KEY_ID,
        secret_access_key: SECRET_KEY,
        secrets: ['plain'],
      }),
    });
    expect(await m.load('acme')).toEqual({ plain: 'aws-plain-3333' });
  });

  it("resolves the secrets job's ${secret:...} credentials through the job loader", async () => {
    const job = await resolveSecretsJob(aws({ secrets: ['db', 'api'] }));
    expect(job.source.credentials.bearer).toBe('aws-api-tok-2222');
    expect(JSON.stringify(job.source)).toContain('aws-db-pw-1111');
  });
});

describe('the fake verifies SigV4 (checked with the bare SDK)', () => {
  it('accepts the SDK signature and rejects a tampered one', async () => {
    const client = new SecretsManagerClient({
      region: 'eu-west-1',
      endpoint: fake.url,
      credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET_KEY },
    });
    const out = await client.send(new GetSecretValueCommand({ SecretId: 'acme/plain' }));
    expect(out.SecretString).toBe('aws-plain-3333');
    expect(out.ARN).toMatch(/^arn:aws:secretsmanager:eu-west-1:\d{12}:secret:acme\/plain-/);
    // Flip the signature after signing (deserialize is the step nearest the wire).
    client.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { headers: Record<string, string> };
        req.headers.authorization = req.headers.authorization!.replace(
          /Signature=[0-9a-f]{4}/,
          'Signature=0000',
        );
        return next(args);
      },
      { step: 'deserialize', name: 'tamper' },
    );
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'acme/plain' }))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    });
    client.destroy();
  });
});
