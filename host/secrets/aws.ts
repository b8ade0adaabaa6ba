/**
 * Secrets from AWS Secrets Manager, through @aws-sdk/client-secrets-manager. Three modes (spec §10):
 * - `secrets[]`: each {name, id?, format?, version_stage?, version_id?} is one GetSecretValue; the id
 *   defaults to `secret_id_template` (`{tenant}/{name}`) rendered with the entry's name.
 * - bundle: `bundle_secret_id_template` ({tenant}) names one secret holding JSON or dotenv whose
 *   top-level keys are the secret names (`bundle_format` is the hint).
 * - neither: the tenant's secrets are found with ListSecrets (a name filter on the template's text
 *   before `{name}`), and the rest of each name is the secret's name.
 * Credentials come from `access_key_id`/`secret_access_key` (+ `session_token`) or the SDK's
 * default chain; `endpoint` points the client at another host (a fake, a VPC endpoint).
 */
import type {
  GetSecretValueCommandInput,
  GetSecretValueCommandOutput,
  ListSecretsCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DativoError } from '../errors.js';
import type { SecretManager } from './manager.js';
import {
  bundleMap,
  type Config,
  connectionFailed,
  intSetting,
  maskConfigCredentials,
  networkCode,
  parsedSecret,
  renderTemplate,
  type SecretEntry,
  secretEntries,
  secretsFromMap,
  setting,
} from './remote.js';

export interface AwsSecretSpec {
  name: string;
  id?: string;
  format?: string;
  version_stage?: string;
  version_id?: string;
}

export interface AwsSecretManagerOptions {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  secret_id_template: string;
  secrets?: AwsSecretSpec[];
  bundle_secret_id_template?: string;
  bundle_format?: string;
  bundle_version_stage?: string;
  max_attempts?: number;
  env?: NodeJS.ProcessEnv;
}

export function awsOptionsFromConfig(config: Config, env: NodeJS.ProcessEnv): AwsSecretManagerOptions {
  maskConfigCredentials(config, [
    'secret_access_key',
    'aws_secret_access_key',
    'session_token',
    'aws_session_token',
  ]);
  const region = setting(config, 'region_name', 'region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new DativoError('CONFIG_INVALID', 'the aws secret manager needs region_name (or $AWS_REGION)', {
      location: { keyPath: 'region_name' },
    });
  }
  const accessKeyId = setting(config, 'access_key_id', 'aws_access_key_id');
  const secretAccessKey = setting(config, 'secret_access_key', 'aws_secret_access_key');
  const sessionToken = setting(config, 'session_token', 'aws_session_token');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new DativoError(
      'CONFIG_INVALID',
      'aws access_key_id and secret_access_key go together; set both or neither',
      {
        location: { keyPath: accessKeyId ? 'secret_access_key' : 'access_key_id' },
      },
    );
  }
  const entries = secretEntries(config);
  return {
    region,
    endpoint: setting(config, 'endpoint', 'endpoint_url'),
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
        : undefined,
    secret_id_template: setting(config, 'secret_id_template') ?? '{tenant}/{name}',
    secrets: entries?.map(toSpec),
    bundle_secret_id_template: setting(config, 'bundle_secret_id_template'),
    bundle_format: setting(config, 'bundle_format'),
    bundle_version_stage: setting(config, 'bundle_version_stage'),
    max_attempts: intSetting(config, 'max_attempts'),
    env,
  };
}

function toSpec(e: SecretEntry): AwsSecretSpec {
  return {
    name: e.name,
    id: e.id,
    format: e.format,
    version_stage: setting(e.raw, 'version_stage'),
    version_id: setting(e.raw, 'version_id'),
  };
}

export function createAwsSecretManager(options: AwsSecretManagerOptions): SecretManager {
  const env = options.env ?? process.env;
  const where = options.endpoint ?? `region ${options.region}`;
  return {
    kind: 'aws',
    async load(tenant: string): Promise<Record<string, unknown>> {
      // The SDK nags on stderr about Node 20 (the project's pinned runtime) on every run; a user who
      // wants the notice back sets the variable to false.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      // Loaded on use: the SDK is large and most runs use another manager.
      const sdk = await import('@aws-sdk/client-secrets-manager');
      const client = new sdk.SecretsManagerClient({
        region: options.region,
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(options.credentials ? { credentials: options.credentials } : {}),
        maxAttempts: options.max_attempts ?? 3,
      });
      try {
        const fetchOne = (id: string, spec: Partial<AwsSecretSpec>) =>
          getSecret(sdk, client, id, spec, where);
        if (options.bundle_secret_id_template) {
          const id = renderTemplate(
            options.bundle_secret_id_template,
            { tenant },
            'bundle_secret_id_template',
          );
          const payload = await fetchOne(id, { version_stage: options.bundle_version_stage });
          const label = `aws bundle ${id}`;
          const parsed = parsedSecret(payload, { format: options.bundle_format, env, label });
          return secretsFromMap(bundleMap(parsed, id), { env, label });
        }
        const specs =
          options.secrets ??
          (await listTenantSecrets(sdk, client, options.secret_id_template, tenant, where));
        const secrets: Record<string, unknown> = {};
        for (const spec of specs) {
          const id =
            spec.id !== undefined
              ? renderTemplate(spec.id, { tenant, name: spec.name }, 'secrets[].id')
              : renderTemplate(options.secret_id_template, { tenant, name: spec.name }, 'secret_id_template');
          const payload = await fetchOne(id, spec);
          const name = spec.name.toLowerCase();
          secrets[name] = parsedSecret(payload, { format: spec.format, env, label: `${name} (aws ${id})` });
        }
        return secrets;
      } finally {
        client.destroy();
      }
    },
  };
}

type Sdk = typeof import('@aws-sdk/client-secrets-manager');

async function getSecret(
  sdk: Sdk,
  client: SecretsManagerClient,
  id: string,
  spec: Partial<AwsSecretSpec>,
  where: string,
): Promise<string> {
  const input: GetSecretValueCommandInput = { SecretId: id };
  if (spec.version_stage) input.VersionStage = spec.version_stage;
  if (spec.version_id) input.VersionId = spec.version_id;
  let out: GetSecretValueCommandOutput;
  try {
    out = await client.send(new sdk.GetSecretValueCommand(input));
  } catch (err) {
    throw awsError(err, where, `secret ${id}`);
  }
  if (typeof out.SecretString === 'string') return out.SecretString;
  if (out.SecretBinary) return Buffer.from(out.SecretBinary).toString('utf8');
  throw new DativoError('SECRETS_UNAVAILABLE', `aws secret ${id} has neither SecretString nor SecretBinary`);
}

/** ListSecrets with a name-prefix filter: the template's text before `{name}`, rendered. */
async function listTenantSecrets(
  sdk: Sdk,
  client: SecretsManagerClient,
  template: string,
  tenant: string,
  where: string,
): Promise<AwsSecretSpec[]> {
  const at = template.indexOf('{name}');
  if (at < 0 || at + '{name}'.length !== template.length) {
    throw new DativoError(
      'CONFIG_INVALID',
      'without secrets[] the aws manager lists secrets by prefix, so secret_id_template must end with {name}; or list secrets[]',
      { location: { keyPath: 'secret_id_template' } },
    );
  }
  const prefix = renderTemplate(template.slice(0, at), { tenant }, 'secret_id_template');
  if (prefix === '') {
    throw new DativoError(
      'CONFIG_INVALID',
      'secret_id_template has no text before {name} to find the tenant secrets by',
      {
        location: { keyPath: 'secret_id_template' },
      },
    );
  }
  const specs: AwsSecretSpec[] = [];
  let next: string | undefined;
  do {
    let page: ListSecretsCommandOutput;
    try {
      page = await client.send(
        new sdk.ListSecretsCommand({
          Filters: [{ Key: 'name', Values: [prefix] }],
          NextToken: next,
          MaxResults: 100,
        }),
      );
    } catch (err) {
      throw awsError(err, where, `the secrets named ${prefix}*`);
    }
    for (const s of page.SecretList ?? []) {
      // The name filter also matches by words; keep only true prefixes, and only names below it.
      if (!s.Name?.startsWith(prefix) || s.Name.length === prefix.length) continue;
      specs.push({ name: s.Name.slice(prefix.length), id: s.ARN ?? s.Name });
    }
    next = page.NextToken;
  } while (next);
  return specs.sort((a, b) => a.name.localeCompare(b.name));
}

const AUTH_ERRORS = new Set([
  'InvalidSignatureException',
  'UnrecognizedClientException',
  'AccessDeniedException',
  'AccessDenied',
  'ExpiredTokenException',
  'IncompleteSignature',
  'InvalidClientTokenId',
  'MissingAuthenticationToken',
  'CredentialsProviderError',
  'SignatureDoesNotMatch',
]);

/** SDK errors → ours, by the service's `__type` name; the SDK's own message is not passed on. */
function awsError(err: unknown, where: string, what: string): DativoError {
  const name = (err as { name?: unknown } | null)?.name;
  const status = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  if (name === 'ResourceNotFoundException') {
    return new DativoError('SECRET_NOT_FOUND', `aws ${what} not found in Secrets Manager (${where})`);
  }
  if (typeof name === 'string' && AUTH_ERRORS.has(name)) {
    return new DativoError(
      'AUTHENTICATION_FAILED',
      `aws Secrets Manager (${where}) refused the credentials reading ${what} (${name})`,
    );
  }
  const net = networkCode(err);
  if (net && status === undefined) return connectionFailed('aws Secrets Manager', where, net);
  if (
    name === 'DecryptionFailure' ||
    name === 'InvalidRequestException' ||
    name === 'InvalidParameterException'
  ) {
    return new DativoError(
      'SECRETS_UNAVAILABLE',
      `aws Secrets Manager (${where}) cannot return ${what} (${name})`,
    );
  }
  const retryable = name === 'InternalServiceError' || name === 'ThrottlingException' || (status ?? 0) >= 500;
  return new DativoError(
    'SECRETS_UNAVAILABLE',
    `aws Secrets Manager (${where}) failed reading ${what} (${typeof name === 'string' ? name : 'unknown error'}${status ? `, HTTP ${status}` : ''})`,
    { retryable },
  );
}
