/**
 * S3 SDK errors → DativoErrors a user can act on. Messages name the operation, key, endpoint and
 * bucket (and the access key id, which is not a secret), never the secret key or session token.
 */
import { DativoError, type ErrorCode } from '../../errors.js';
import { masker } from '../../secrets/masker.js';

/** What toS3Error needs to know about the store. */
export interface S3ErrorContext {
  endpoint?: string;
  region?: string;
  bucket: string;
  credentials?: { accessKeyId: string };
}

const AUTH_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AuthorizationHeaderMalformed',
  'CredentialsProviderError',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/** `bucket "b" at http://host:port` (or the AWS region), for messages. */
export function describeS3(opts: S3ErrorContext): string {
  const endpoint = opts.endpoint ?? `AWS S3 (region ${opts.region ?? process.env.AWS_REGION ?? 'us-east-1'})`;
  return `bucket "${opts.bucket}" at ${endpoint}`;
}

export function toS3Error(
  op: string,
  key: string | undefined,
  err: unknown,
  fallback: ErrorCode,
  opts: S3ErrorContext,
): DativoError {
  if (err instanceof DativoError) return err;
  const name = errorName(err);
  const status = httpStatus(err);
  const attempts = sdkAttempts(err);
  const where = describeS3(opts);
  const what = key === undefined ? `S3 ${op}` : `S3 ${op} of "${key}"`;
  const raw = masker.mask(err instanceof Error ? err.message : String(err));
  const details = { operation: op, key, s3Code: name, httpStatus: status, attempts };

  if (AUTH_ERRORS.has(name) || status === 401 || status === 403) {
    const keyId = opts.credentials?.accessKeyId ? ` for access key id ${opts.credentials.accessKeyId}` : '';
    // HEAD responses have no body, so a bad signature on exists() is a bare 403 without a code.
    const why =
      name === 'CredentialsProviderError'
        ? 'no credentials found (set them in the target, the environment or an AWS profile)'
        : name === 'AccessDenied'
          ? 'access denied: the credentials lack permission for this bucket'
          : AUTH_ERRORS.has(name)
            ? `the credentials were rejected (${name})`
            : `access denied (HTTP ${status}): wrong credentials or missing permission`;
    return new DativoError(
      'AUTHENTICATION_FAILED',
      `${what} on ${where}: ${why}${keyId}; check the access key and secret`,
      {
        details,
        cause: err,
      },
    );
  }
  if (name === 'NoSuchBucket') {
    return new DativoError('CONFIG_INVALID', `${what}: bucket "${opts.bucket}" does not exist (${where})`, {
      details,
      cause: err,
    });
  }
  const netCode = (err as { code?: string } | undefined)?.code;
  if ((netCode && NETWORK_CODES.has(netCode)) || name === 'TimeoutError') {
    return new DativoError(
      'CONNECTION_FAILED',
      `${what}: cannot reach ${where} (${netCode ?? name}) after ${attempts} attempt(s)`,
      {
        details,
        cause: err,
        retryable: true,
      },
    );
  }
  if (
    (status !== undefined && status >= 500) ||
    ['SlowDown', 'Throttling', 'RequestTimeout'].includes(name)
  ) {
    return new DativoError(
      'CONNECTION_FAILED',
      `${what} on ${where} failed after ${attempts} attempt(s): ${name} ${raw}`,
      {
        details,
        cause: err,
        retryable: true,
      },
    );
  }
  return new DativoError(
    fallback,
    `${what} on ${where} failed: ${name}${status ? ` (HTTP ${status})` : ''}: ${raw}`,
    {
      details,
      cause: err,
    },
  );
}

export function errorName(e: unknown): string {
  return (e as { name?: string } | undefined)?.name ?? 'Error';
}

function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

export function sdkAttempts(e: unknown): number {
  return (e as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts ?? 1;
}

export function isNotFound(e: unknown): boolean {
  const name = errorName(e);
  return name === 'NoSuchKey' || name === 'NotFound' || (httpStatus(e) === 404 && name !== 'NoSuchBucket');
}

export function isPreconditionFailed(e: unknown): boolean {
  return errorName(e) === 'PreconditionFailed' || httpStatus(e) === 412;
}
