/**
 * Iceberg append throughput (not part of CI): 1M rows appended to an Iceberg table on radosgw
 * through the iceberg sink (Parquet data files + manifest + manifest list + metadata commit),
 * against the plain Parquet upload of the same rows through the s3 sink, in the same invocation.
 * Optionally also through the REST catalog (our server in front of the same filesystem catalog).
 *
 *   npx tsx bench/iceberg-append.ts [--rows 1000000] [--runs 2] [--rest]
 *
 * Each measurement runs in its own child process, so peak RSS is that sink's alone. The batches
 * are built before the clock starts (the sinks are measured, not the data generator). The bench
 * deletes its objects at the end (radosgw's memstore is RAM).
 *
 * Needs radosgw (scripts/services/start-radosgw.sh; this script starts or reuses it).
 * Goal: the Iceberg append at ≥ 0.8× the plain Parquet upload's rows/s.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import { parse } from 'dotenv';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const BUCKET = 'dativo-bench';
const ROWS_PER_BATCH = 10_000;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

function rgwEnv(): Record<string, string> {
  return parse(readFileSync(path.join(process.env.DATIVO_RUN_DIR ?? path.join(REPO, '.run'), 'radosgw.env')));
}

// --- the data ----------------------------------------------------------------------------------

const CONTRACT = `apiVersion: v3.0.2
kind: DataContract
id: 6f1d2c3b-9a8e-4f70-8d6c-5b4a3e2f1d0c
name: bench_orders
version: "1.0"
status: active
domain: bench
dataProduct: synthetic
source_type: csv
object: orders
schema:
  - { name: order_id, type: integer, required: true }
  - { name: customer, type: string, required: true }
  - { name: country, type: string, required: true }
  - { name: amount, type: double, required: true }
  - { name: quantity, type: integer, required: true }
  - { name: updated_at, type: timestamp, required: true }
`;

const COUNTRIES = ['DE', 'FR', 'US', 'JP', 'BR', 'IN', 'GB', 'ES'];

function utf8(values: string[]) {
  const enc = new TextEncoder();
  const parts = values.map((v) => enc.encode(v));
  const offsets = new Int32Array(parts.length + 1);
  for (let i = 0; i < parts.length; i++)
    offsets[i + 1] = (offsets[i] as number) + (parts[i] as Uint8Array).length;
  const data = new Uint8Array(offsets[parts.length] as number);
  for (let i = 0; i < parts.length; i++) data.set(parts[i] as Uint8Array, offsets[i] as number);
  return makeData({ type: new Utf8(), length: values.length, valueOffsets: offsets, data });
}

/** Deterministic synthetic orders, typed as the contract says (architecture §4). */
function batch(start: number, n: number): RecordBatch {
  const ids = new BigInt64Array(n);
  const qty = new BigInt64Array(n);
  const amount = new Float64Array(n);
  const ts = new BigInt64Array(n);
  const customers: string[] = [];
  const countries: string[] = [];
  const t0 = 1_767_225_600_000_000n; // 2026-01-01T00:00:00 in µs
  for (let i = 0; i < n; i++) {
    const id = start + i;
    ids[i] = BigInt(id);
    qty[i] = BigInt((id * 7) % 13);
    amount[i] = ((id * 7919) % 100_000) / 100;
    ts[i] = t0 + BigInt(id) * 1_000_000n;
    customers.push(`customer-${(id * 31) % 50_000}`);
    countries.push(COUNTRIES[id % COUNTRIES.length] as string);
  }
  const fields = [
    new Field('order_id', new Int64(), false),
    new Field('customer', new Utf8(), false),
    new Field('country', new Utf8(), false),
    new Field('amount', new Float64(), false),
    new Field('quantity', new Int64(), false),
    new Field('updated_at', new TimestampMicrosecond(), false),
  ];
  const children = [
    makeData({ type: new Int64(), length: n, data: ids }),
    utf8(customers),
    utf8(countries),
    makeData({ type: new Float64(), length: n, data: amount }),
    makeData({ type: new Int64(), length: n, data: qty }),
    makeData({ type: new TimestampMicrosecond(), length: n, data: ts }),
  ];
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: n, children }));
}

// --- one measurement (child process) -----------------------------------------------------------

type Mode = 's3' | 'iceberg' | 'iceberg-rest';

interface Sample {
  mode: Mode;
  ms: number;
  commitMs: number;
  rows: number;
  bytes: number;
  files: number;
  peakRssMb: number;
}

async function child(mode: Mode, rows: number, prefix: string): Promise<void> {
  const env = rgwEnv();
  const { loadJob } = await import('../host/config/index.js');
  const { silentLogger } = await import('../host/observability/logger.js');
  const { newRunId } = await import('../host/sinks/layout.js');
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-bench-iceberg-'));
  const contract = path.join(tmp, 'contract.yaml');
  await writeFile(contract, CONTRACT);
  const s3conn = `{ endpoint: "${env.S3_ENDPOINT}", bucket: ${BUCKET}, access_key_id: "${env.AWS_ACCESS_KEY_ID}", secret_access_key: "${env.AWS_SECRET_ACCESS_KEY}", region: us-east-1, path_style_access: true }`;
  let closeServer: (() => Promise<void>) | undefined;
  let target: string;
  if (mode === 's3') {
    target = `target_connector: s3
target_connector_path: connectors/s3.yaml
target:
  partitioning: []
  connection:
    bucket: ${BUCKET}
    prefix: ${prefix}/s3
    endpoint: "${env.S3_ENDPOINT}"
    access_key_id: "${env.AWS_ACCESS_KEY_ID}"
    secret_access_key: "${env.AWS_SECRET_ACCESS_KEY}"
    region: us-east-1`;
  } else {
    let nessie = '';
    if (mode === 'iceberg-rest') {
      // our REST server, in this process, in front of a filesystem catalog on the same bucket
      const { createFilesystemCatalog } = await import('../host/iceberg/fs-catalog.js');
      const { startRestCatalogServer } = await import('../host/iceberg/rest/server.js');
      const { createS3Store } = await import('../host/sinks/store/s3.js');
      const store = createS3Store({
        endpoint: env.S3_ENDPOINT,
        bucket: BUCKET,
        prefix: `${prefix}/${mode}`,
        credentials: {
          accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
        },
      });
      const catalog = createFilesystemCatalog({ store, warehouse: `s3://${BUCKET}/${prefix}/${mode}` });
      const server = await startRestCatalogServer({ catalog });
      closeServer = async () => {
        await server.close();
        store.close();
      };
      nessie = `\n    nessie: { uri: "${server.url}" }`;
    }
    target = `target_connector: iceberg
target_connector_path: connectors/iceberg.yaml
target:
  partitioning: []
  warehouse: s3://${BUCKET}/${prefix}/${mode}
  connection:
    s3: ${s3conn}${nessie}`;
  }
  const jobFile = path.join(tmp, `${mode}.yaml`);
  await writeFile(
    jobFile,
    `tenant_id: bench
source_connector: csv
source_connector_path: connectors/csv.yaml
asset_path: ${contract}
source:
  files:
    - { path: ${path.join(tmp, 'unused.csv')}, object: orders }
${target}
`,
  );
  const job = await loadJob(jobFile, { cwd: REPO, env: process.env, stateDir: path.join(tmp, 'state') });
  const runId = newRunId();
  const settings = { runId, kvMetadata: {} };
  const sink =
    mode === 's3'
      ? (await import('../host/sinks/s3/index.js')).createS3Sink(job, settings)
      : await (await import('../host/sinks/iceberg/index.js')).createIcebergSink(job, settings);
  const input: RecordBatch[] = [];
  for (let s = 0; s < rows; s += ROWS_PER_BATCH) input.push(batch(s, Math.min(ROWS_PER_BATCH, rows - s)));

  const t0 = performance.now();
  await sink.open({ runId, job: 'bench', tenant: 'bench', logger: silentLogger() });
  for (const b of input) await sink.write(b);
  const tc = performance.now();
  const { record } = await sink.commit({ state: {} });
  const t1 = performance.now();
  (sink as { close?: () => void }).close?.();
  await closeServer?.();
  await rm(tmp, { recursive: true, force: true });
  const sample: Sample = {
    mode,
    ms: t1 - t0,
    commitMs: t1 - tc,
    rows: record.rows,
    bytes: record.bytes,
    files: record.files.length,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}

// --- the comparison (parent) -------------------------------------------------------------------

function measure(mode: Mode, rows: number, prefix: string): Sample {
  const r = spawnSync(
    process.execPath,
    [...process.execArgv, SELF, '--child', mode, '--rows', String(rows), '--prefix', prefix],
    {
      cwd: REPO,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{'))
    throw new Error(`${mode} run failed (exit ${r.status}):\n${r.stdout}`);
  return JSON.parse(line) as Sample;
}

async function deleteAll(client: S3Client, Prefix: string): Promise<void> {
  for (;;) {
    const out = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix }));
    const Objects = (out.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (Objects.length === 0) return;
    await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects } }));
  }
}

/** radosgw keeps deleted data until its GC runs: collect now, best effort (see s3-upload.ts). */
function collectGarbage(): void {
  const conf = path.join(process.env.DATIVO_RUN_DIR ?? path.join(REPO, '.run'), 'ceph/ceph.conf');
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
    // not fatal
  }
}

const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  const mode = arg('child', '');
  const rows = Number(arg('rows', '1000000'));
  if (mode) return child(mode as Mode, rows, arg('prefix', 'bench/iceberg'));

  execFileSync('bash', [path.join(REPO, 'scripts/services/start-radosgw.sh')], { stdio: 'inherit' });
  const env = rgwEnv();
  const { ensureBucket } = await import('../host/sinks/store/s3.js');
  const credentials = {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
  };
  await ensureBucket({ endpoint: env.S3_ENDPOINT, bucket: BUCKET, credentials });
  const client = new S3Client({
    endpoint: env.S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
  });
  const runs = Number(arg('runs', '2'));
  const modes: Mode[] = [
    's3',
    'iceberg',
    ...(process.argv.includes('--rest') ? (['iceberg-rest'] as const) : []),
  ];
  const best = new Map<Mode, Sample>();
  const peak = new Map<Mode, number>();
  try {
    for (let i = 0; i < runs; i++) {
      for (const m of modes) {
        const prefix = `bench/iceberg-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
        try {
          const s = measure(m, rows, prefix);
          if (!best.has(m) || s.ms < (best.get(m) as Sample).ms) best.set(m, s);
          peak.set(m, Math.max(peak.get(m) ?? 0, s.peakRssMb));
        } finally {
          await deleteAll(client, `${prefix}/`);
        }
      }
    }
  } finally {
    client.destroy();
    collectGarbage();
  }
  const ref = best.get('s3') as Sample;
  console.log(`${fmt(rows)} rows, best of ${runs}, radosgw ${env.S3_ENDPOINT}`);
  for (const m of modes) {
    const s = best.get(m) as Sample;
    console.log(
      `  ${m.padEnd(13)} ${fmt(s.ms / 1000, 2).padStart(6)} s  ${fmt(s.rows / (s.ms / 1000)).padStart(9)} rows/s  ${fmt(s.bytes / 1e6, 1).padStart(6)} MB in ${s.files} file(s)  commit ${fmt(s.commitMs, 0)} ms  peak RSS ${fmt(peak.get(m) ?? 0)} MB`,
    );
  }
  for (const m of modes.filter((x) => x !== 's3')) {
    const s = best.get(m) as Sample;
    console.log(
      `  ratio ${m} / plain Parquet upload: throughput ${fmt(ref.ms / s.ms, 2)}×, peak RSS ${fmt((peak.get(m) ?? 0) / (peak.get('s3') ?? 1), 2)}× (goal ≥ 0.8× throughput)`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
