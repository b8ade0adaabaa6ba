/**
 * S3 upload throughput (not part of CI): a dativo S3 sink run (Arrow batches → Parquet → staged
 * multipart upload → commit record → server-side copy publish) against a raw lib-storage Upload
 * and a raw PutObject of the same bytes, in the same invocation, to radosgw. A fourth line runs
 * the same batches through the same file sink into a local temp dir: the encoder alone, which
 * bounds what any upload strategy can reach.
 *
 *   npx tsx bench/s3-upload.ts [megabytes=256]      (ROW_GROUP=<rows>, default 100000)
 *
 * The sink streams each file's parts to staging while the encoder still writes it, so the upload
 * overlaps encoding as far as the encoder emits bytes (it does so per row group). The bench
 * deletes its objects at the end (radosgw's memstore is RAM) and runs radosgw's GC if it can.
 *
 * Needs radosgw (scripts/services/start-radosgw.sh; this script starts or reuses it).
 * Goal: the dativo run at ≥ 0.8× the raw PutObject's MB/s.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Field, Int64, makeData, RecordBatch, Schema, Struct, Utf8 } from 'apache-arrow';
import { parse } from 'dotenv';
import type { ResolvedJob } from '../host/config/types.js';
import { silentLogger } from '../host/observability/logger.js';
import { newRunId } from '../host/sinks/layout.js';
import { createLocalSink } from '../host/sinks/local/index.js';
import { createS3Sink } from '../host/sinks/s3/index.js';
import { ensureBucket } from '../host/sinks/store/s3.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const MB = 1_000_000;
const ROW_BYTES = 1000;
const ROWS_PER_BATCH = 2000;

function batch(start: number): RecordBatch {
  const n = ROWS_PER_BATCH;
  const ids = new BigInt64Array(n).map((_, i) => BigInt(start + i));
  // Incompressible base64 payload, so the Parquet file is as big as the data.
  const data = new TextEncoder().encode(randomBytes((ROW_BYTES * n * 3) / 4).toString('base64'));
  const offsets = new Int32Array(n + 1).map((_, i) => i * ROW_BYTES);
  const fields = [new Field('id', new Int64(), false), new Field('payload', new Utf8(), false)];
  const children = [
    makeData({ type: new Int64(), length: n, data: ids }),
    makeData({ type: new Utf8(), length: n, valueOffsets: offsets, data }),
  ];
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: n, children }));
}

async function deleteAll(client: S3Client, Bucket: string, Prefix: string): Promise<void> {
  for (;;) {
    const out = await client.send(new ListObjectsV2Command({ Bucket, Prefix }));
    const Objects = (out.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (Objects.length === 0) return;
    await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects } }));
  }
}

/**
 * Deleted objects' data stays in the memstore until radosgw's garbage collector runs (after 2 h by
 * default), so a few bench runs would fill the OSD: collect now, best effort, when the local
 * cluster's admin tool is at hand.
 */
function collectGarbage(): void {
  const conf = path.join(process.env.DATIVO_RUN_DIR ?? path.join(repo, '.run'), 'ceph/ceph.conf');
  if (!existsSync(conf)) return;
  try {
    execFileSync(
      'radosgw-admin',
      [
        '-c',
        conf,
        '-n',
        'client.rgw.a',
        `--admin-socket=${path.join(os.tmpdir(), 'dativo-bench-gc.asok')}`,
        'gc',
        'process',
        '--include-all',
      ],
      { stdio: 'ignore', timeout: 120_000 },
    );
  } catch {
    // not fatal: the gateway collects on its own schedule
  }
}

function rate(bytes: number, ms: number): string {
  return `${(bytes / MB / (ms / 1000)).toFixed(1)} MB/s`;
}

async function main(): Promise<void> {
  const targetMb = Number(process.argv[2] ?? 256);
  execFileSync('bash', [path.join(repo, 'scripts/services/start-radosgw.sh')], { stdio: 'inherit' });
  const env = parse(readFileSync(path.join(repo, '.run/radosgw.env')));
  const bucket = 'dativo-bench';
  const credentials = {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
  };
  await ensureBucket({ endpoint: env.S3_ENDPOINT, bucket, credentials });
  const prefix = `bench/${newRunId()}`;

  // A minimal resolved job: what createS3Sink reads.
  const job = {
    tenantId: 'bench',
    contract: {
      name: 'bench_upload',
      version: '1.0',
      domain: 'bench',
      dataProduct: 'synthetic',
      tags: [],
      fields: [],
    },
    target: {
      type: 's3',
      connection: {
        bucket,
        prefix,
        endpoint: env.S3_ENDPOINT,
        access_key_id: credentials.accessKeyId,
        secret_access_key: credentials.secretAccessKey,
      },
      partitioning: [],
      compression: 'none',
      rowGroupSize: Number(process.env.ROW_GROUP ?? 100_000),
      parquetTargetSizeMb: 128,
      fileFormat: 'parquet',
    },
  } as unknown as ResolvedJob;

  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const runId = newRunId();
  const sink = createS3Sink(job, { runId, kvMetadata: {} });
  const batches = Math.ceil((targetMb * MB) / (ROW_BYTES * ROWS_PER_BATCH));
  const input = Array.from({ length: batches }, (_, i) => batch(i * ROWS_PER_BATCH)); // not timed
  const t0 = performance.now();
  await sink.open({ runId, job: 'bench', tenant: 'bench', logger: silentLogger() });
  for (const b of input) await sink.write(b);
  const tCommit = performance.now();
  const { record } = await sink.commit({ state: {} });
  const t1 = performance.now();
  const sinkMs = t1 - t0;

  // The same batches through the same file sink into a local directory: the encoder alone.
  const localDir = await mkdtemp(path.join(os.tmpdir(), 'dativo-bench-local-'));
  const local = createLocalSink({
    ...job,
    target: { ...job.target, type: 'local', connection: { path: localDir } },
  } as ResolvedJob);
  const localRun = newRunId();
  const tl = performance.now();
  await local.open({ runId: localRun, job: 'bench', tenant: 'bench', logger: silentLogger() });
  for (const b of input) await local.write(b);
  await local.commit({ state: {} });
  const localMs = performance.now() - tl;
  await rm(localDir, { recursive: true, force: true });

  // The same bytes, raw: download the published files (not timed), then upload them again.
  const client = new S3Client({
    endpoint: env.S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
  });
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-bench-s3-'));
  const files: string[] = [];
  for (const f of record.files) {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/${f.key}` }));
    const file = path.join(tmp, path.basename(f.key));
    await writeFile(
      file,
      await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    files.push(file);
  }
  const { createReadStream } = await import('node:fs');
  const t2 = performance.now();
  await Promise.all(
    files.map((file, i) =>
      new Upload({
        client,
        params: { Bucket: bucket, Key: `${prefix}-raw/upload-${i}.parquet`, Body: createReadStream(file) },
        partSize: 8 * 1024 * 1024,
        queueSize: 4,
      }).done(),
    ),
  );
  const uploadMs = performance.now() - t2;
  const bodies = await Promise.all(files.map((f) => readFile(f)));
  const t3 = performance.now();
  await Promise.all(
    bodies.map((Body, i) =>
      client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}-raw/put-${i}.parquet`, Body })),
    ),
  );
  const putMs = performance.now() - t3;
  await rm(tmp, { recursive: true, force: true });
  // radosgw keeps everything in the memstore OSD's RAM (4 GiB): leave nothing behind.
  for (const p of [`${prefix}/`, `${prefix}-raw/`]) await deleteAll(client, bucket, p);
  client.destroy();
  collectGarbage();

  const bytes = record.bytes;
  console.log(
    `data: ${record.rows} rows, ${record.files.length} Parquet file(s), ${(bytes / MB).toFixed(1)} MB; load average ${load}`,
  );
  console.log(
    `dativo S3 sink (encode + staged upload + record + copy publish): ${(sinkMs / 1000).toFixed(2)} s, ${rate(bytes, sinkMs)}`,
  );
  console.log(
    `  of which commit (last file's upload + record + publish):     ${((t1 - tCommit) / 1000).toFixed(2)} s`,
  );
  console.log(
    `same sink into a local dir (the encoder alone):               ${(localMs / 1000).toFixed(2)} s, ${rate(bytes, localMs)}`,
  );
  console.log(
    `raw lib-storage Upload (8 MiB parts, 4 in flight):          ${(uploadMs / 1000).toFixed(2)} s, ${rate(bytes, uploadMs)}`,
  );
  console.log(
    `raw PutObject (one request per file):                        ${(putMs / 1000).toFixed(2)} s, ${rate(bytes, putMs)}`,
  );
  console.log(
    `ratio dativo / raw Upload: ${(uploadMs / sinkMs).toFixed(2)}x; dativo / raw PutObject: ${(putMs / sinkMs).toFixed(2)}x (goal ≥ 0.8x); encoder alone / raw PutObject: ${(putMs / localMs).toFixed(2)}x`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
