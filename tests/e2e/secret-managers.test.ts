/**
 * The built CLI resolves a job's credentials from Vault, AWS Secrets Manager and GCP Secret Manager,
 * each one an in-repo protocol fake started in this process and reached over loopback by the real
 * client library, and no secret value (nor the manager's own credentials) reaches any output.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsSecretsFake, startAwsSecretsFake } from '../fakes/aws-secrets-fake.js';
import { type GcpSecretsFake, startGcpSecretsFake } from '../fakes/gcp-secrets-fake.js';
import { startVaultFake, type VaultFake } from '../fakes/vault-fake.js';
import { reportOf, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dativo-e2e-sm-'));
const VALUES = {
  vaultDb: 'e2e-vault-db-pw-71a3',
  vaultApi: 'e2e-vault-api-tok-82b4',
  awsDb: 'e2e-aws-db-pw-93c5',
  awsApi: 'e2e-aws-api-tok-a4d6',
  gcpDb: 'e2e-gcp-db-pw-b5e7',
  gcpApi: 'e2e-gcp-api-tok-c6f8',
  envCredential: 'e2e-env-credential-d7a9',
};
const CREDS = {
  vaultToken: 'hvs.e2e-vault-token-e8b0',
  roleSecret: 'e2e-approle-secret-f9c1',
  awsKey: 'e2e-aws-secret-key-0ad2',
  gcpToken: 'ya29.e2e-gcp-token-1be3',
};
const ALL_SECRETS = [...Object.values(VALUES), ...Object.values(CREDS)];

let vault: VaultFake;
let aws: AwsSecretsFake;
let gcp: GcpSecretsFake;

beforeAll(async () => {
  vault = await startVaultFake({
    tokens: [CREDS.vaultToken],
    approle: [{ role_id: 'e2e-role', secret_id: CREDS.roleSecret }],
    mounts: {
      secret: {
        version: 2,
        secrets: {
          'dativo/acme': {
            db: JSON.stringify({ password: VALUES.vaultDb }),
            api: { token: VALUES.vaultApi },
          },
        },
      },
    },
  });
  aws = await startAwsSecretsFake({
    credentials: { AKIAE2EDATIVO: CREDS.awsKey },
    secrets: {
      'acme/db': JSON.stringify({ password: VALUES.awsDb }),
      'acme/api': JSON.stringify({ token: VALUES.awsApi }),
    },
  });
  gcp = await startGcpSecretsFake({
    projectId: 'dativo-e2e',
    tokens: [CREDS.gcpToken],
    secrets: {
      'dativo-acme': JSON.stringify({ db: { password: VALUES.gcpDb }, api: { token: VALUES.gcpApi } }),
    },
  });
});

afterAll(async () => {
  await Promise.all([vault?.close(), aws?.close(), gcp?.close()]);
  rmSync(tmp, { recursive: true, force: true });
});

function run(kind: string, config: Record<string, unknown>, label: string) {
  return runCli(
    [
      'run',
      '--config',
      'tests/fixtures/secrets-job/job.yaml',
      '--secret-manager',
      kind,
      '--secret-manager-config',
      JSON.stringify(config),
      '--state-dir',
      path.join(tmp, `${label}-state`),
      '--json',
      '--verbose',
    ],
    { env: { OUT_DIR: path.join(tmp, `${label}-out`), MY_API_TOKEN: VALUES.envCredential } },
  );
}

function expectNoSecrets(output: string): void {
  for (const v of ALL_SECRETS) expect(output, `leaked ${v}`).not.toContain(v);
}

const cases: [string, string, () => Record<string, unknown>, () => number][] = [
  [
    'vault (KV v2, token)',
    'vault',
    () => ({ address: vault.url, token: CREDS.vaultToken, path_template: 'dativo/{tenant}' }),
    () => vault.requests.length,
  ],
  [
    'vault (AppRole)',
    'hashicorp',
    () => ({
      address: vault.url,
      auth_method: 'approle',
      role_id: 'e2e-role',
      secret_id: CREDS.roleSecret,
      path_template: 'dativo/{tenant}',
    }),
    () => vault.requests.length,
  ],
  [
    'aws (per-secret, SigV4)',
    'aws',
    () => ({
      region_name: 'us-east-1',
      endpoint: aws.url,
      access_key_id: 'AKIAE2EDATIVO',
      secret_access_key: CREDS.awsKey,
      secrets: ['db', 'api'],
    }),
    () => aws.requests.length,
  ],
  [
    'gcp (bundle, REST)',
    'gcp',
    () => ({
      project_id: 'dativo-e2e',
      api_endpoint: gcp.url,
      access_token: CREDS.gcpToken,
      bundle_secret_id_template: 'dativo-{tenant}',
    }),
    () => gcp.requests.length,
  ],
];

describe('dativo run with a remote secret manager (protocol fakes over loopback)', () => {
  for (const [title, kind, config, served] of cases) {
    it(`${title}: exit 0, 10 rows, secrets fetched, nothing leaked`, async () => {
      const before = served();
      const r = await run(kind, config(), kind + before);
      expect(r.code, r.stderr).toBe(0);
      expect(reportOf(r).rows.written).toBe(10);
      expect(served()).toBeGreaterThan(before); // the CLI really asked the fake
      expect(r.stderr).toContain('job_config'); // the effective config is logged at debug level...
      expectNoSecrets(r.stdout + r.stderr); // ...masked
      expect(r.stdout + r.stderr).toContain('***');
    });
  }

  it('wrong credentials fail the run with AUTHENTICATION_FAILED and leak nothing', async () => {
    const wrong = [
      run(
        'vault',
        { address: vault.url, token: 'hvs.e2e-wrong-token-2cf4', path_template: 'dativo/{tenant}' },
        'bad-vault',
      ),
      run(
        'aws',
        {
          region_name: 'us-east-1',
          endpoint: aws.url,
          access_key_id: 'AKIAE2EDATIVO',
          secret_access_key: 'e2e-wrong-key-3da5',
          secrets: ['db'],
        },
        'bad-aws',
      ),
      run(
        'gcp',
        {
          project_id: 'dativo-e2e',
          api_endpoint: gcp.url,
          access_token: 'ya29.e2e-wrong-4eb6',
          bundle_secret_id_template: 'dativo-{tenant}',
        },
        'bad-gcp',
      ),
    ];
    for (const r of await Promise.all(wrong)) {
      const out = r.stdout + r.stderr;
      expect(r.code).not.toBe(0);
      expect(out).toContain('AUTHENTICATION_FAILED');
      expectNoSecrets(out);
      for (const w of ['hvs.e2e-wrong-token-2cf4', 'e2e-wrong-key-3da5', 'ya29.e2e-wrong-4eb6'])
        expect(out).not.toContain(w);
    }
  });
});
