/**
 * The S3 ObjectStore against a real S3 implementation: single-node Ceph radosgw, started (or
 * reused) by scripts/services/start-radosgw.sh. Each run works in its own fresh bucket.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { open as fsOpen, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { parse } from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DativoError, formatError } from '../../../host/errors.js';
import { ObjectNotFound, PreconditionFailed } from '../../../host/sinks/store/object-store.js';
import {
  createS3Store,
  ensureBucket,
  type S3ObjectStore,
  type S3StoreOptions,
} from '../../../host/sinks/store/s3.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const runDir = process.env.DATIVO_RUN_DIR ?? path.join(repo, '.run');
const script = (name: string) => path.join(repo, 'scripts/services', name);

let base: S3StoreOptions;
let endpoint: string;
let tmp: string;
const stores: S3ObjectStore[] = [];
const open = (extra: Partial<S3StoreOptions> = {}): S3ObjectStore => {
  const s = createS3Store({ ...base, ...extra });
  stores.push(s);
  return s;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

/** Count requests per command (each retry attempt separately) on a store's client. */
function spy(store: S3ObjectStore): Map<string, number> {
  const counts = new Map<string, number>();
  store.client.middlewareStack.add(
    (next, ctx) => async (args) => {
      counts.set(ctx.commandName ?? '?', (counts.get(ctx.commandName ?? '?') ?? 0) + 1);
      return next(args);
    },
    // finalizeRequest, below the retry middleware: runs once per attempt.
    { step: 'finalizeRequest', priority: 'low', name: `spy-${Math.random()}` },
  );
  return counts;
}

beforeAll(async () => {
  execFileSync('bash', [script('start-radosgw.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  const env = parse(readFileSync(path.join(runDir, 'radosgw.env')));
  endpoint = env.S3_ENDPOINT ?? '';
  base = {
    endpoint,
    region: env.AWS_REGION ?? 'us-east-1',
    bucket: `dativo-it-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    },
  };
  await ensureBucket(base);
  await ensureBucket(base); // a second call is a no-op
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-s3-it-'));
});

afterAll(async () => {
  for (const s of stores) s.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('S3 object store on radosgw', () => {
  it('puts, gets, lists and deletes under its prefix only', async () => {
    const a = open({ prefix: '/warehouse/a/' });
    const b = open({ prefix: 'warehouse/b' });
    expect(a.location).toBe(`s3://${base.bucket}/warehouse/a`);

    await a.putBytes('x/1.txt', bytes('one'));
    await a.putBytes('x/2.txt', bytes('two'));
    await a.putBytes('y.txt', bytes('why'));
    await b.putBytes('x/1.txt', bytes('other'));

    expect(text(await a.get('x/1.txt'))).toBe('one');
    expect(text(await b.get('x/1.txt'))).toBe('other');
    expect(await a.get('x/missing.txt')).toBeUndefined();
    expect(await a.exists('y.txt')).toBe(true);
    expect(await a.exists('nope')).toBe(false);

    expect(await a.list('')).toEqual(['x/1.txt', 'x/2.txt', 'y.txt']);
    expect(await a.list('x/')).toEqual(['x/1.txt', 'x/2.txt']);
    expect(await a.list('x/2')).toEqual(['x/2.txt']);
    expect(await b.list('')).toEqual(['x/1.txt']);

    await a.delete('x/1.txt');
    await a.delete('x/1.txt'); // deleting a missing key is fine
    expect(await a.list('x/')).toEqual(['x/2.txt']);
    await expect(a.putBytes('../escape', bytes('no'))).rejects.toThrow(/invalid object key/);
  });

  it('paginates list() across many pages', async () => {
    const s = open({ prefix: 'paged', listPageSize: 7 });
    const keys = Array.from({ length: 25 }, (_, i) => `k/${String(i).padStart(3, '0')}`);
    await Promise.all(keys.map((k) => s.putBytes(k, bytes(k))));
    const calls = spy(s);
    expect(await s.list('k/')).toEqual(keys);
    expect(calls.get('ListObjectsV2Command')).toBe(4); // 7 + 7 + 7 + 4
  });

  it('conditional create: the second create fails and leaves the first object', async () => {
    const s = open({ prefix: 'commits' });
    await s.putBytes('run-1.json', bytes('{"first":true}'), { ifNoneMatch: true });
    const err = await s
      .putBytes('run-1.json', bytes('{"second":true}'), { ifNoneMatch: true })
      .catch((e) => e);
    expect(err).toBeInstanceOf(PreconditionFailed);
    expect((err as PreconditionFailed).key).toBe('run-1.json');
    expect(text(await s.get('run-1.json'))).toBe('{"first":true}');
    // A plain put overwrites.
    await s.putBytes('run-1.json', bytes('{"third":true}'));
    expect(text(await s.get('run-1.json'))).toBe('{"third":true}');
  });

  it('conditional create: of two racing creates exactly one wins', async () => {
    const s = open({ prefix: 'race' });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => s.putBytes('lock', bytes(`writer-${i}`), { ifNoneMatch: true })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PreconditionFailed);
  });

  it('publish moves an object (server-side copy, then delete)', async () => {
    const s = open({ prefix: 'pub' });
    await s.putBytes('_staging/run/a.parquet.part', bytes('PAR1 data'));
    await s.publish('_staging/run/a.parquet.part', 'data/a.parquet');
    expect(await s.exists('_staging/run/a.parquet.part')).toBe(false);
    expect(text(await s.get('data/a.parquet'))).toBe('PAR1 data');
    expect(await s.list('')).toEqual(['data/a.parquet']);

    // Overwrites an existing destination; a missing source is ObjectNotFound.
    await s.putBytes('_staging/b', bytes('new'));
    await s.publish('_staging/b', 'data/a.parquet');
    expect(text(await s.get('data/a.parquet'))).toBe('new');
    await expect(s.publish('_staging/gone', 'data/x')).rejects.toBeInstanceOf(ObjectNotFound);

    // Keys with spaces and unicode survive the copy-source encoding.
    await s.putBytes('_staging/dir with space/ü+x.txt', bytes('odd'));
    await s.publish('_staging/dir with space/ü+x.txt', 'data/ü x+1.txt');
    expect(text(await s.get('data/ü x+1.txt'))).toBe('odd');
  });

  it('uploads 100 MiB as a multipart upload and publishes it with a multipart copy', async () => {
    const size = 100 * 1024 * 1024;
    const file = path.join(tmp, 'big.bin');
    const hash = createHash('sha256');
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(file);
      out.on('error', reject).on('finish', resolve);
      const chunk = randomBytes(4 * 1024 * 1024);
      for (let i = 0; i < size / chunk.length; i++) {
        chunk[0] = i; // make chunks differ, so misordered parts would change the hash
        hash.update(chunk);
        out.write(Buffer.from(chunk));
      }
      out.end();
    });
    const digest = hash.digest('hex');

    // Threshold lowered so publish takes the >5 GiB path (UploadPartCopy) on a testable size.
    const s = open({
      prefix: 'big',
      multipartCopyThreshold: 50 * 1024 * 1024,
      copyPartSize: 32 * 1024 * 1024,
    });
    const calls = spy(s);
    const t0 = Date.now();
    expect(await s.putFile('_staging/big.bin', file)).toEqual({ bytes: size });
    const uploadMs = Date.now() - t0;

    const head = await s.client.send(
      new HeadObjectCommand({ Bucket: base.bucket, Key: 'big/_staging/big.bin' }),
    );
    expect(head.ContentLength).toBe(size);
    expect(head.ETag).toMatch(/-13"?$/); // ceil(100 MiB / 8 MiB) = 13 parts
    expect(calls.get('UploadPartCommand')).toBe(13);

    await s.publish('_staging/big.bin', 'data/big.bin');
    expect(calls.get('UploadPartCopyCommand')).toBe(4); // ceil(100 / 32)
    const moved = await s.client.send(
      new HeadObjectCommand({ Bucket: base.bucket, Key: 'big/data/big.bin' }),
    );
    expect(moved.ContentLength).toBe(size);
    expect(moved.ETag).toMatch(/-4"?$/);
    expect(await s.exists('_staging/big.bin')).toBe(false);

    const back = await s.get('data/big.bin');
    expect(
      createHash('sha256')
        .update(back ?? new Uint8Array())
        .digest('hex'),
    ).toBe(digest);
    console.log(`100 MiB multipart upload took ${uploadMs} ms`);
  });

  it('uploads a file while it grows: parts go up before finish, nothing is an object until then', async () => {
    const MiB = 1024 * 1024;
    const s = open({ prefix: 'grow', partSize: 5 * MiB, queueSize: 2 });
    const calls = spy(s);
    const file = path.join(tmp, 'growing.bin');
    const chunks = [randomBytes(6 * MiB), randomBytes(6 * MiB), randomBytes(1234)];
    const fh = await fsOpen(file, 'w');
    const up = s.uploadGrowingFile('_staging/r/g.parquet.part', file);
    await fh.write(chunks[0] as Buffer);
    await fh.write(chunks[1] as Buffer);
    // Two full parts are on disk: they are uploaded while the "encoder" is still writing.
    for (let i = 0; i < 100 && (calls.get('UploadPartCommand') ?? 0) < 2; i++) await sleep(50);
    expect(calls.get('UploadPartCommand')).toBe(2);
    expect(await s.list('')).toEqual([]); // an unfinished multipart upload is not an object
    await fh.write(chunks[2] as Buffer);
    await fh.close();
    const size = 12 * MiB + 1234;
    expect(await up.finish(size)).toEqual({ bytes: size });
    expect(calls.get('UploadPartCommand')).toBe(3); // the 2 MiB + 1234 B tail is the last part
    expect(calls.get('CompleteMultipartUploadCommand')).toBe(1);
    const back = await s.get('_staging/r/g.parquet.part');
    expect(Buffer.from(back ?? new Uint8Array()).equals(Buffer.concat(chunks))).toBe(true);

    // publish() with attributes replaces the staged object's metadata and sets the tags.
    await s.publish('_staging/r/g.parquet.part', 'data/g.parquet', {
      metadata: { 'record-count': '42' },
      tags: { partition: 'a=1' },
    });
    const h = await s.client.send(new HeadObjectCommand({ Bucket: base.bucket, Key: 'grow/data/g.parquet' }));
    expect(h.Metadata).toEqual({ 'record-count': '42' });
    const tags = await s.client.send(
      new GetObjectTaggingCommand({ Bucket: base.bucket, Key: 'grow/data/g.parquet' }),
    );
    expect(tags.TagSet).toEqual([{ Key: 'partition', Value: 'a=1' }]);

    // A small file never starts a multipart upload: one PutObject at finish.
    const small = path.join(tmp, 'small-growing.bin');
    await writeFile(small, 'tiny');
    await s.uploadGrowingFile('_staging/r/tiny.part', small).finish(4);
    expect(calls.get('CreateMultipartUploadCommand')).toBe(1);
    expect(text(await s.get('_staging/r/tiny.part'))).toBe('tiny');
  });

  it('abortUploads discards the unfinished uploads of a crashed writer under a prefix only', async () => {
    const MiB = 1024 * 1024;
    const s = open({ prefix: 'crash', partSize: 5 * MiB });
    const file = path.join(tmp, 'crashing.bin');
    await writeFile(file, randomBytes(6 * MiB));
    const calls = spy(s);
    // Two writers "die" mid-file (never finish): one in the crashed run, one in another run.
    s.uploadGrowingFile('_staging/dead/a.part', file);
    s.uploadGrowingFile('_staging/alive/b.part', file);
    for (let i = 0; i < 100 && (calls.get('UploadPartCommand') ?? 0) < 2; i++) await sleep(50);
    const pending = async (p: string) =>
      (await s.client.send(new ListMultipartUploadsCommand({ Bucket: base.bucket, Prefix: `crash/${p}` })))
        .Uploads ?? [];
    expect(await pending('_staging/dead/')).toHaveLength(1);
    expect(await s.abortUploads('_staging/dead/')).toBe(1);
    expect(await pending('_staging/dead/')).toEqual([]);
    expect(await pending('_staging/alive/')).toHaveLength(1);
    expect(await s.abortUploads('_staging/')).toBe(1);
    expect(await pending('')).toEqual([]);
    expect(await s.list('')).toEqual([]);
  });

  it('small files go up in one PutObject', async () => {
    const s = open({ prefix: 'small' });
    const calls = spy(s);
    const file = path.join(tmp, 'small.txt');
    execFileSync('bash', ['-c', `printf 'tiny' > "${file}"`]);
    expect(await s.putFile('t.txt', file)).toEqual({ bytes: 4 });
    expect(calls.get('PutObjectCommand')).toBe(1);
    expect(calls.get('CreateMultipartUploadCommand')).toBeUndefined();
    expect(text(await s.get('t.txt'))).toBe('tiny');
  });

  it('uploads carry an SDK CRC32 checksum that radosgw accepts (and, radosgw 16 quirk, does not verify)', async () => {
    const s = open({ prefix: 'crc' });
    const sent: Array<Record<string, string>> = [];
    s.client.middlewareStack.add(
      (next) => async (args) => {
        sent.push({ ...((args.request as { headers?: Record<string, string> }).headers ?? {}) });
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'headers-spy' },
    );
    await s.putBytes('a.txt', bytes('hello'));
    expect(sent[0]?.['x-amz-checksum-crc32']).toBe('NhCmhg=='); // CRC32("hello")
    expect(text(await s.get('a.txt'))).toBe('hello');

    // A deliberately wrong CRC32 is stored anyway: on radosgw, integrity rests on SigV4's payload hash.
    await s.client.send(
      new PutObjectCommand({ Bucket: base.bucket, Key: 'crc/b.txt', Body: 'xyz', ChecksumCRC32: 'AAAAAA==' }),
    );
    expect(text(await s.get('b.txt'))).toBe('xyz');
    // ...and a body that does not match the signed x-amz-content-sha256 is refused.
    s.client.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { body?: unknown }).body = 'HELLO';
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'tamper' },
    );
    const err = (await s.putBytes('c.txt', bytes('hello')).catch((e) => e)) as DativoError;
    expect(err).toBeInstanceOf(DativoError);
    expect(err.message).toMatch(/XAmzContentSHA256Mismatch|BadDigest|SignatureDoesNotMatch/);
  });

  it('a wrong secret is AUTHENTICATION_FAILED naming endpoint and bucket, never the secret', async () => {
    const secret = 'wrong-secret-Zq8xV3';
    const s = open({
      credentials: { accessKeyId: base.credentials?.accessKeyId ?? '', secretAccessKey: secret },
    });
    for (const op of [
      () => s.putBytes('k', bytes('v')),
      () => s.get('k'),
      () => s.list(''),
      () => s.exists('k'),
    ]) {
      const err = await op().catch((e) => e);
      expect(err).toBeInstanceOf(DativoError);
      expect((err as DativoError).code).toBe('AUTHENTICATION_FAILED');
      const shown = `${formatError(err, true)} ${JSON.stringify((err as DativoError).details)}`;
      expect(shown).toContain(endpoint);
      expect(shown).toContain(base.bucket);
      expect(shown).not.toContain(secret);
    }
    const err = (await s.putBytes('k', bytes('v')).catch((e) => e)) as DativoError;
    expect(err.message).toMatch(/credentials were rejected \(SignatureDoesNotMatch\)/);
    const headErr = (await s.exists('k').catch((e) => e)) as DativoError;
    expect(headErr.message).toMatch(/access denied \(HTTP 403\): wrong credentials or missing permission/);
  });

  it('an unknown access key is AUTHENTICATION_FAILED too', async () => {
    const s = open({ credentials: { accessKeyId: 'NOSUCHKEY', secretAccessKey: 'whatever-secret' } });
    const err = (await s.get('k').catch((e) => e)) as DativoError;
    expect(err.code).toBe('AUTHENTICATION_FAILED');
    expect(err.message).toContain('InvalidAccessKeyId');
  });

  it('a missing bucket is CONFIG_INVALID naming the bucket', async () => {
    const s = open({ bucket: 'dativo-no-such-bucket' });
    const err = (await s.putBytes('k', bytes('v')).catch((e) => e)) as DativoError;
    expect(err).toBeInstanceOf(DativoError);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('bucket "dativo-no-such-bucket" does not exist');
    const listErr = (await s.list('').catch((e) => e)) as DativoError;
    expect(listErr.code).toBe('CONFIG_INVALID');
  });

  it('an unreachable endpoint is a retryable CONNECTION_FAILED after the retries', async () => {
    const s = open({ endpoint: 'http://127.0.0.1:1', maxAttempts: 2 });
    const err = (await s.get('k').catch((e) => e)) as DativoError;
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/ECONNREFUSED.*after 2 attempt/);
  });

  it('rides out a gateway restart with retries, and the data survives it', async () => {
    const s = open({ prefix: 'restart', maxAttempts: 10 });
    await s.putBytes('kept.txt', bytes('still here'));
    const calls = spy(s);

    const restart = spawn('bash', [script('restart-rgw.sh')], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, RGW_DOWN_SECONDS: '2' },
    });
    const done = new Promise<number | null>((r) => restart.on('exit', r));
    // Wait until the gateway is really down, then read through the outage.
    const port = Number(new URL(endpoint).port);
    for (let i = 0; i < 100 && (await listening(port)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await listening(port)).toBe(false);

    expect(text(await s.get('kept.txt'))).toBe('still here');
    expect(calls.get('GetObjectCommand')).toBeGreaterThan(1);
    expect(await done).toBe(0);
  });
});

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
