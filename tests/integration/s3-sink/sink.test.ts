/**
 * The S3 sink's failure handling against radosgw: a ≥100 MB multipart upload, the gateway killed
 * mid-upload, two committers racing for one run id, a crash after the commit record, bad
 * credentials, and `dativo check`. Each test works under its own prefix of the jobs' bucket.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetObjectTaggingCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { Int64, type RecordBatch } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedJob } from '../../../host/config/types.js';
import { DativoError } from '../../../host/errors.js';
import { silentLogger } from '../../../host/observability/logger.js';
import { SimulatedCrash } from '../../../host/sinks/file-sink.js';
import { newRunId } from '../../../host/sinks/layout.js';
import {
  checkS3Target,
  createS3Sink,
  type S3Sink,
  type S3SinkSettings,
} from '../../../host/sinks/s3/index.js';
import type { S3ObjectStore } from '../../../host/sinks/store/s3.js';
import { duck } from '../../helpers/duckdb.js';
import { batchOf, T, utf8Data } from '../../unit/sinks/helpers.js';
import {
  download,
  head,
  JOB_BUCKET,
  listening,
  listKeys,
  loadOriginalJob,
  parquetKeys,
  type Rgw,
  script,
  startRgw,
} from './radosgw.js';

const MiB = 1024 * 1024;
let rgw: Rgw;
let tmp: string;
let base: ResolvedJob;
const root = `sink-it/${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const sinks: S3Sink[] = [];

beforeAll(async () => {
  rgw = await startRgw();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-s3-sink-'));
  base = await loadOriginalJob(rgw, 'csv_person_to_s3', path.join(tmp, 'state'));
});
afterAll(async () => {
  for (const s of sinks) s.store.close();
  rgw?.client.destroy();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** The person job pointed at its own prefix, with target overrides. */
function jobAt(name: string, target: Partial<ResolvedJob['target']> = {}): ResolvedJob {
  return {
    ...base,
    target: {
      ...base.target,
      ...target,
      connection: { ...base.target.connection, prefix: `${root}/${name}`, ...(target.connection ?? {}) },
    },
  };
}
const prefixOf = (name: string) => `${root}/${name}/`;

function sinkFor(job: ResolvedJob, runId: string, extra: Partial<S3SinkSettings> = {}): S3Sink {
  const s = createS3Sink(job, { runId, kvMetadata: { 'dativo.asset.name': job.contract.name }, ...extra });
  sinks.push(s);
  return s;
}
const ctx = (runId: string) => ({ runId, job: 'sink-it', tenant: 'test_tenant', logger: silentLogger() });

/** `rows` rows: id, a group column (3 values) and `payloadBytes` of incompressible base64 each. */
function batch(start: number, rows: number, payloadBytes = 16): RecordBatch {
  const ids = Array.from({ length: rows }, (_, i) => BigInt(start + i));
  const raw = randomBytes(Math.ceil((payloadBytes * 3) / 4) * rows).toString('base64');
  const payload = Array.from({ length: rows }, (_, i) => raw.slice(i * payloadBytes, (i + 1) * payloadBytes));
  return batchOf([
    { name: 'id', type: new Int64(), nullable: false, data: T.int64(ids) },
    {
      name: 'grp',
      type: utf8Data(['a']).type,
      data: utf8Data(ids.map((i) => ['a', 'b', 'c'][Number(i % 3n)] as string)),
    },
    { name: 'payload', type: utf8Data(['a']).type, data: utf8Data(payload) },
  ]);
}

/** Count requests per command on a store's client, once per attempt (below the retry middleware). */
function spy(
  store: S3ObjectStore,
  before?: (command: string, n: number) => Promise<void>,
): Map<string, number> {
  const counts = new Map<string, number>();
  store.client.middlewareStack.add(
    (next, c) => async (args) => {
      const name = c.commandName ?? '?';
      const n = (counts.get(name) ?? 0) + 1;
      counts.set(name, n);
      if (before) await before(name, n);
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: `spy-${Math.random()}` },
  );
  return counts;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function uploadsUnder(Prefix: string): Promise<string[]> {
  const out = await rgw.client.send(new ListMultipartUploadsCommand({ Bucket: JOB_BUCKET, Prefix }));
  return (out.Uploads ?? []).map((u) => u.Key ?? '');
}

async function distinctIds(prefix: string): Promise<{ n: number; distinct: number }> {
  const dir = await download(rgw.client, JOB_BUCKET, prefix);
  const [r] = await duck<{ n: bigint; d: bigint }>(
    `SELECT count(*) AS n, count(DISTINCT id) AS d FROM read_parquet('${dir}/**/*.parquet')`,
  );
  await rm(dir, { recursive: true, force: true });
  return { n: Number(r?.n ?? 0), distinct: Number(r?.d ?? 0) };
}

describe('S3 sink on radosgw', () => {
  it('uploads a ≥100 MB Parquet file as a multipart upload and publishes it with metadata and tags', async () => {
    const job = jobAt('multipart', { compression: 'none', parquetTargetSizeMb: 1024 });
    const runId = newRunId();
    const sink = sinkFor(job, runId);
    const calls = spy(sink.store);
    await sink.open(ctx(runId));
    const ROWS = 110_000;
    for (let i = 0; i < ROWS; i += 1000) await sink.write(batch(i, 1000, 1000));
    const { record } = await sink.commit({ state: {} });

    expect(record.files).toHaveLength(1);
    expect(record.rows).toBe(ROWS);
    expect(record.bytes).toBeGreaterThanOrEqual(100 * MiB);
    // 8 MiB parts: a real multipart upload, then one server-side copy.
    expect(calls.get('CreateMultipartUploadCommand')).toBe(1);
    expect(calls.get('UploadPartCommand') ?? 0).toBeGreaterThanOrEqual(Math.floor(record.bytes / (8 * MiB)));
    expect(calls.get('CopyObjectCommand')).toBe(1);

    const key = `${prefixOf('multipart')}${record.files[0]?.key}`;
    const h = await head(rgw.client, JOB_BUCKET, key);
    expect(h.ContentLength).toBe(record.bytes);
    expect(h.Metadata).toMatchObject({
      'record-count': String(ROWS),
      'file-size-bytes': String(record.bytes),
      compression: 'uncompressed',
    });
    const tags = await rgw.client.send(new GetObjectTaggingCommand({ Bucket: JOB_BUCKET, Key: key }));
    expect(tags.TagSet?.map((t) => t.Key)).toContain('partition');
    expect(await distinctIds(prefixOf('multipart'))).toEqual({ n: ROWS, distinct: ROWS });
  });

  it('radosgw killed during an upload and restarted: the commit completes after retrying, every row once', async () => {
    const job = jobAt('restart', { compression: 'none', parquetTargetSizeMb: 1024 });
    const runId = newRunId();
    // Small parts one at a time, so the upload is surely in progress when the gateway dies.
    const sink = sinkFor(job, runId, { store: { partSize: 5 * MiB, queueSize: 1, maxAttempts: 15 } });
    const port = Number(new URL(rgw.endpoint).port);
    let restart: Promise<number | null> | undefined;
    const calls = spy(sink.store, async (command, n) => {
      if (command !== 'UploadPartCommand' || n !== 3 || restart) return;
      const child = spawn('bash', [script('restart-rgw.sh')], {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, RGW_DOWN_SECONDS: '2' },
      });
      restart = new Promise((r) => child.on('exit', r));
      // Part 3 goes out only once the gateway is really gone.
      for (let i = 0; i < 100 && (await listening(port)); i++) await new Promise((r) => setTimeout(r, 50));
    });
    await sink.open(ctx(runId));
    const ROWS = 40_000;
    for (let i = 0; i < ROWS; i += 1000) await sink.write(batch(i, 1000, 1000));
    const outcome = await sink.commit({ state: { cursor: 'after' } }).then(
      (r) => ({ ok: true as const, record: r.record }),
      (e: unknown) => ({ ok: false as const, error: e }),
    );
    expect(restart, 'the gateway was restarted during the upload').toBeDefined();
    expect(await restart).toBe(0);

    // 15 attempts (about a minute of backoff) outlast a 2 s outage plus the restart: the run
    // must complete, having retried the parts the outage broke.
    expect(outcome.ok ? 'completed' : String((outcome as { error: unknown }).error)).toBe('completed');
    if (!outcome.ok) return;
    const parts = Math.ceil(outcome.record.bytes / (5 * MiB));
    expect(calls.get('UploadPartCommand') ?? 0).toBeGreaterThan(parts);
    expect(outcome.record.status).toBe('done');
    expect(outcome.record.state).toEqual({ cursor: 'after' });
    expect(await distinctIds(prefixOf('restart'))).toEqual({ n: ROWS, distinct: ROWS });
    const keys = await listKeys(rgw.client, JOB_BUCKET, prefixOf('restart'));
    expect(keys.filter((k) => k.includes('_dativo/staging/'))).toEqual([]);
  });

  it('a failed upload fails the commit with a DativoError: nothing published, no record, staging dropped', async () => {
    const name = 'upload-fails';
    const job = jobAt(name);
    const runId = newRunId();
    const sink = sinkFor(job, runId, { store: { maxAttempts: 2 } });
    // The gateway answers 500 to every data upload (after open() worked): the SDK retries, then gives up.
    const calls = spy(sink.store, async (command) => {
      if (command === 'PutObjectCommand' && uploading) {
        throw Object.assign(new Error('We encountered an internal error.'), {
          name: 'InternalError',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
        });
      }
    });
    let uploading = false;
    await sink.open(ctx(runId));
    await sink.write(batch(0, 100));
    uploading = true;
    const err = (await sink.commit({ state: {} }).catch((e: unknown) => e)) as DativoError;
    uploading = false;
    expect(err).toBeInstanceOf(DativoError);
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(err.message).toMatch(/S3 Upload of "_dativo\/staging\/.*\.parquet\.part".*failed after 2 attempt/);
    expect(calls.get('PutObjectCommand')).toBeGreaterThanOrEqual(3); // marker + 2 attempts
    expect(await parquetKeys(rgw.client, JOB_BUCKET, prefixOf(name))).toEqual([]);
    expect(await listKeys(rgw.client, JOB_BUCKET, `${prefixOf(name)}_dativo/commits/`)).toEqual([]);
    await sink.abort(String(err));
    expect(await listKeys(rgw.client, JOB_BUCKET, prefixOf(name))).toEqual([]);
  });

  it('two sinks racing to commit the same run id: exactly one wins, only its rows are visible', async () => {
    const job = jobAt('race');
    const runId = newRunId();
    const a = sinkFor(job, runId);
    const b = sinkFor(job, runId);
    await a.open(ctx(runId));
    await b.open(ctx(runId));
    await a.write(batch(0, 1000));
    await b.write(batch(100_000, 700));
    const results = await Promise.allSettled([
      a.commit({ state: { by: 'a' } }),
      b.commit({ state: { by: 'b' } }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const reason = (lost[0] as PromiseRejectedResult).reason as DativoError;
    expect(reason).toBeInstanceOf(DativoError);
    // The loser fails at the commit record ("already exists") or, when the winner has already
    // cleaned the run's shared staging prefix, while finishing its own staged upload.
    expect(['COMMIT_FAILED', 'WRITE_FAILED']).toContain(reason.code);
    if (reason.code === 'COMMIT_FAILED') expect(reason.message).toMatch(/already exists/);
    const winner = (won[0] as PromiseFulfilledResult<{ record: { rows: number; state: unknown } }>).value
      .record;
    expect([1000, 700]).toContain(winner.rows);
    expect(winner.state).toEqual({ by: winner.rows === 1000 ? 'a' : 'b' });
    expect(await distinctIds(prefixOf('race'))).toEqual({ n: winner.rows, distinct: winner.rows });
  });

  it.each([
    ['record', 0],
    ['publish', 1],
  ] as const)(
    'crash after %s: the next open() completes the publish, every row exactly once',
    async (point, visibleFiles) => {
      const name = `crash-${point}`;
      const job = jobAt(name, { partitioning: ['grp'] }); // 3 files, so a partial publish is possible
      const first = newRunId();
      const sink = sinkFor(job, first);
      await sink.open(ctx(first));
      for (let i = 0; i < 3000; i += 500) await sink.write(batch(i, 500));
      const crash = await sink.commit({ state: { n: 3000 }, _crashAfter: point }).catch((e: unknown) => e);
      expect(crash).toBeInstanceOf(SimulatedCrash);
      expect(await parquetKeys(rgw.client, JOB_BUCKET, prefixOf(name))).toHaveLength(visibleFiles);

      const second = newRunId(new Date(Date.now() + 1000));
      const next = sinkFor(job, second);
      const report = await next.open(ctx(second));
      expect(report.rolledForward).toEqual([first]);
      expect(report.latest?.runId).toBe(first);
      expect(report.latest?.state).toEqual({ n: 3000 });
      await next.abort('nothing new');
      expect(await parquetKeys(rgw.client, JOB_BUCKET, prefixOf(name))).toHaveLength(3);
      expect(await distinctIds(prefixOf(name))).toEqual({ n: 3000, distinct: 3000 });
      const leftovers = await listKeys(rgw.client, JOB_BUCKET, `${prefixOf(name)}_dativo/staging/`);
      expect(leftovers).toEqual([]);
    },
  );

  it('a writer dying mid-file: parts were uploaded, nothing visible; the next open() aborts its uploads', async () => {
    const name = 'crash-midfile';
    const job = jobAt(name, { compression: 'none', parquetTargetSizeMb: 1024, rowGroupSize: 2000 });
    const first = newRunId();
    const sink = sinkFor(job, first, { store: { partSize: 5 * MiB } });
    const calls = spy(sink.store);
    await sink.open(ctx(first));
    for (let i = 0; i < 20_000; i += 1000) await sink.write(batch(i, 1000, 1000));
    // The file is still open (1 GB target) but its first parts are already up.
    for (let i = 0; i < 200 && (calls.get('UploadPartCommand') ?? 0) < 2; i++) await sleep(50);
    expect(calls.get('UploadPartCommand') ?? 0).toBeGreaterThanOrEqual(2);
    const stagingPrefix = `${prefixOf(name)}_dativo/staging/${first}/`;
    expect(await uploadsUnder(stagingPrefix)).toHaveLength(1);
    expect(await parquetKeys(rgw.client, JOB_BUCKET, prefixOf(name))).toEqual([]);

    // No commit, no abort: as if the process died. The next run of the job cleans up.
    const second = newRunId(new Date(Date.now() + 1000));
    const next = sinkFor(job, second);
    const report = await next.open(ctx(second));
    expect(report.cleaned).toEqual([first]);
    expect(await uploadsUnder(stagingPrefix)).toEqual([]);
    expect(await listKeys(rgw.client, JOB_BUCKET, stagingPrefix)).toEqual([]);
    await next.abort('nothing new');
    await sink.abort('test over'); // stop the dead writer's encoder
    expect(await parquetKeys(rgw.client, JOB_BUCKET, prefixOf(name))).toEqual([]);
    expect(await uploadsUnder(prefixOf(name))).toEqual([]);
  });

  it('wrong credentials: AUTHENTICATION_FAILED at open(), naming the key id, never the secret', async () => {
    const secret = 'N0t-The-Right-Secret-xyz';
    const job = jobAt('badcreds', { connection: { secret_access_key: secret } });
    const runId = newRunId();
    const sink = sinkFor(job, runId);
    const err = (await sink.open(ctx(runId)).catch((e: unknown) => e)) as DativoError;
    expect(err).toBeInstanceOf(DativoError);
    expect(err.code).toBe('AUTHENTICATION_FAILED');
    expect(err.message).toContain(`access key id ${rgw.env.AWS_ACCESS_KEY_ID}`);
    expect(err.message).not.toContain(secret);
    expect(JSON.stringify(err.details)).not.toContain(secret);
  });

  it('checkS3Target: writable, wrong secret, missing bucket', async () => {
    expect(await checkS3Target(jobAt('check'))).toMatchObject({ status: 'success' });
    expect(await listKeys(rgw.client, JOB_BUCKET, prefixOf('check'))).toEqual([]);
    const bad = await checkS3Target(jobAt('check', { connection: { secret_access_key: 'nope-nope' } }));
    expect(bad).toMatchObject({ status: 'failed', errorCode: 'AUTHENTICATION_FAILED' });
    expect(bad.message).not.toContain('nope-nope');
    const missing = await checkS3Target(jobAt('check', { connection: { bucket: 'no-such-bucket-dativo' } }));
    expect(missing).toMatchObject({ status: 'failed', errorCode: 'CONFIG_INVALID' });
    expect(missing.message).toContain('no-such-bucket-dativo');
  });
});
