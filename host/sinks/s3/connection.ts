/**
 * `target.connection` of an s3 or minio job → S3 store options. The original ignored half of
 * these settings (spec §7): a flat `bucket`, `prefix` and `${VAR}` buckets all work here, and a
 * scheme-less MinIO endpoint honours `secure`.
 *
 * Each setting is looked up in the nested `s3:` map, then the nested `minio:` map, then the flat
 * connection (the s3/minio recipes are flat); the bucket finally falls back to $S3_BUCKET
 * (or $MINIO_BUCKET for a minio target).
 */
import type { ResolvedJob } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import type { S3StoreOptions } from '../store/s3.js';

type Connection = Record<string, unknown>;
export type S3TargetJob = Pick<ResolvedJob, 'target'> & { locate?: ResolvedJob['locate'] };

const isMap = (v: unknown): v is Connection => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The maps a setting is looked up in, most specific first, with their key-path prefixes. */
function scopes(conn: Connection): Array<[Connection, string]> {
  const out: Array<[Connection, string]> = [];
  if (isMap(conn.s3)) out.push([conn.s3, 'target.connection.s3']);
  if (isMap(conn.minio)) out.push([conn.minio, 'target.connection.minio']);
  out.push([conn, 'target.connection']);
  return out;
}

/** The first non-empty value of any of `names` (aliases) across the scopes. */
function lookup(conn: Connection, ...names: string[]): { value: unknown; keyPath: string } | undefined {
  for (const [map, prefix] of scopes(conn)) {
    for (const n of names) {
      const v = map[n];
      if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) continue;
      return { value: typeof v === 'string' ? v.trim() : v, keyPath: `${prefix}.${n}` };
    }
  }
  return undefined;
}

function str(conn: Connection, ...names: string[]): string | undefined {
  const hit = lookup(conn, ...names);
  return hit === undefined ? undefined : String(hit.value);
}

/** YAML booleans, and the strings an env var interpolation leaves (`"false"`, `"0"`, `"no"`). */
function bool(job: S3TargetJob, conn: Connection, ...names: string[]): boolean | undefined {
  const hit = lookup(conn, ...names);
  if (hit === undefined) return undefined;
  if (typeof hit.value === 'boolean') return hit.value;
  const s = String(hit.value).toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  throw new DativoError(
    'CONFIG_INVALID',
    `${hit.keyPath} must be true or false, got ${JSON.stringify(hit.value)}`,
    {
      ...(job.locate ? { location: job.locate(hit.keyPath) } : {}),
    },
  );
}

/** AWS's own endpoints: the SDK builds the right (virtual-hosted, regional) URL itself. */
function isAwsEndpoint(host: string): boolean {
  return /(^|\.)amazonaws\.com(\.cn)?$/i.test(host);
}

export interface S3Target {
  store: S3StoreOptions;
  /** `s3://bucket/prefix`, for reports and messages (never credentials). */
  location: string;
}

export function s3TargetOptions(
  job: S3TargetJob,
  env: Record<string, string | undefined> = process.env,
): S3Target {
  const conn = job.target.connection;
  const where = (keyPath: string) => (job.locate ? { location: job.locate(keyPath) } : {});

  const envBucket = job.target.type === 'minio' ? (env.MINIO_BUCKET ?? env.S3_BUCKET) : env.S3_BUCKET;
  const bucket = str(conn, 'bucket') ?? (envBucket?.trim() || undefined);
  if (!bucket) {
    throw new DativoError(
      'CONFIG_INVALID',
      `the ${job.target.type} target needs a bucket: set target.connection.bucket (or s3.bucket / minio.bucket) or $S3_BUCKET`,
      where('target.connection'),
    );
  }
  if (bucket.includes('/') || bucket.includes('${')) {
    throw new DativoError(
      'CONFIG_INVALID',
      `invalid bucket name ${JSON.stringify(bucket)}`,
      where('target.connection.bucket'),
    );
  }

  const secure = bool(job, conn, 'secure', 'use_ssl');
  const raw = str(conn, 'endpoint', 'endpoint_url');
  let endpoint: string | undefined;
  if (raw !== undefined) {
    // MINIO_ENDPOINT is `host:port` without a scheme; `secure: false` means http.
    const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw)
      ? raw
      : `${secure === false ? 'http' : 'https'}://${raw}`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new DativoError(
        'CONFIG_INVALID',
        `target endpoint ${JSON.stringify(raw)} is not a URL or host[:port]`,
        where('target.connection.endpoint'),
      );
    }
    if (!isAwsEndpoint(parsed.hostname)) endpoint = url.replace(/\/+$/, '');
  }

  const region = str(conn, 'region') ?? (env.AWS_REGION?.trim() || undefined) ?? 'us-east-1';
  const pathStyle = bool(job, conn, 'path_style_access', 'force_path_style', 'path_style');
  const prefix = (str(conn, 'prefix') ?? '').replace(/^\/+|\/+$/g, '');

  const keyId = str(conn, 'access_key_id', 'access_key', 'aws_access_key_id');
  const secret = str(conn, 'secret_access_key', 'secret_key', 'aws_secret_access_key');
  const token = str(conn, 'session_token', 'aws_session_token');
  if ((keyId === undefined) !== (secret === undefined)) {
    throw new DativoError(
      'CONFIG_INVALID',
      `the ${job.target.type} target sets ${keyId === undefined ? 'a secret key but no access key id' : 'an access key id but no secret key'}`,
      where('target.connection'),
    );
  }

  const store: S3StoreOptions = {
    bucket,
    region,
    ...(prefix ? { prefix } : {}),
    ...(endpoint ? { endpoint } : {}),
    // Custom endpoints (MinIO, radosgw) default to path style; AWS to virtual-hosted.
    forcePathStyle: pathStyle ?? endpoint !== undefined,
    ...(keyId !== undefined && secret !== undefined
      ? {
          credentials: {
            accessKeyId: keyId,
            secretAccessKey: secret,
            ...(token ? { sessionToken: token } : {}),
          },
        }
      : {}),
  };
  return { store, location: `s3://${bucket}${prefix ? `/${prefix}` : ''}` };
}
