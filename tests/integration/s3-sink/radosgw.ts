/**
 * Shared setup for the S3 sink suites: radosgw started (or reused) by the service scripts, its
 * env file, the original job files loaded against it, and reading a prefix back with DuckDB from
 * downloaded objects (DuckDB's httpfs is not available offline).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { parse } from 'dotenv';
import { loadJob } from '../../../host/config/index.js';
import type { ResolvedJob } from '../../../host/config/types.js';
import { ensureBucket, type S3StoreOptions } from '../../../host/sinks/store/s3.js';
import { visibleCount } from '../../helpers/duckdb.js';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const ORIGINAL = path.join(REPO, 'tests/fixtures/original-configs');
export const JOBS = 'tests/fixtures/jobs';
/** The bucket the original job files name (flat `connection.bucket`). */
export const JOB_BUCKET = 'test-bucket';
const runDir = process.env.DATIVO_RUN_DIR ?? path.join(REPO, '.run');
export const script = (name: string) => path.join(REPO, 'scripts/services', name);

export interface Rgw {
  env: Record<string, string>;
  endpoint: string;
  conn: S3StoreOptions;
  client: S3Client;
}

/** Start (or reuse) radosgw and create the jobs' bucket. */
export async function startRgw(): Promise<Rgw> {
  execFileSync('bash', [script('start-radosgw.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  const env = parse(readFileSync(path.join(runDir, 'radosgw.env')));
  const endpoint = env.S3_ENDPOINT ?? '';
  const conn: S3StoreOptions = {
    endpoint,
    region: env.AWS_REGION ?? 'us-east-1',
    bucket: JOB_BUCKET,
    forcePathStyle: true,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    },
  };
  await ensureBucket(conn);
  const client = new S3Client({
    endpoint,
    region: conn.region ?? 'us-east-1',
    forcePathStyle: true,
    ...(conn.credentials ? { credentials: conn.credentials } : {}),
  });
  return { env: { ...env, S3_BUCKET: JOB_BUCKET, MINIO_BUCKET: JOB_BUCKET }, endpoint, conn, client };
}

/** The original job file, resolved as the CLI would from `tests/fixtures/original-configs`. */
export async function loadOriginalJob(rgw: Rgw, name: string, stateDir: string): Promise<ResolvedJob> {
  return loadJob(`${JOBS}/${name}.yaml`, { cwd: ORIGINAL, env: { ...process.env, ...rgw.env }, stateDir });
}

export async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

/** Remove everything under a prefix (the job files reuse fixed prefixes across runs). */
export async function clearPrefix(client: S3Client, bucket: string, prefix: string): Promise<void> {
  const keys = await listKeys(client, bucket, prefix);
  for (let i = 0; i < keys.length; i += 1000) {
    await client.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) },
      }),
    );
  }
}

/** The `.parquet` keys under a prefix: what "visible" means on S3 (architecture §6). */
export async function parquetKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  return (await listKeys(client, bucket, prefix)).filter((k) => k.endsWith('.parquet'));
}

/** Download the visible objects under a prefix into a fresh temp dir (keys kept as paths). */
export async function download(client: S3Client, bucket: string, prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-s3-dl-'));
  for (const key of await parquetKeys(client, bucket, prefix)) {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const file = path.join(dir, key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(
      file,
      await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
  }
  return dir;
}

/** Rows visible under a prefix, counted by DuckDB over the downloaded objects. */
export async function visibleRows(client: S3Client, bucket: string, prefix: string): Promise<number> {
  return visibleCount(await download(client, bucket, prefix));
}

export async function head(client: S3Client, bucket: string, key: string): Promise<HeadObjectCommandOutput> {
  return client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
}

export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** The spec §6 metadata keys every data object carries (present whenever the contract has them). */
export const METADATA_KEYS = [
  'asset-name',
  'asset-version',
  'asset-domain',
  'data-product',
  'tenant-id',
  'owner',
  'record-count',
  'file-size-bytes',
  'partition',
  'ingest-timestamp',
  'file-format',
  'compression',
];
