/**
 * ObjectStore over S3 (AWS, or any S3-compatible server such as Ceph radosgw).
 *
 * - Keys live under an optional `prefix` inside one bucket; callers only ever see relative keys.
 * - Retries: the SDK's standard retry strategy (exponential backoff with full jitter, base 100 ms,
 *   cap 20 s) retries 5xx, throttling and transient network errors up to `maxAttempts` (default 5).
 *   Raise `maxAttempts` to ride out longer outages (10 attempts ≈ 25 s of expected backoff).
 * - Checksums: the SDK's default flexible checksums (CRC32 on every upload) are left on. radosgw 16
 *   accepts the header but does not verify it (a wrong CRC32 is stored happily); it does verify
 *   SigV4's x-amz-content-sha256, which the SDK computes for buffered bodies and parts over http.
 * - exists() on a missing bucket is false (HEAD has no error body to tell the two 404s apart);
 *   every other operation reports a missing bucket as CONFIG_INVALID.
 * - Errors become DativoErrors that name the endpoint and bucket, never the secret.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  paginateListObjectsV2,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { DativoError, ErrorCode } from '../../errors.js';
import { masker } from '../../secrets/masker.js';
import { assertValidKey, ObjectNotFound, type ObjectStore, PreconditionFailed } from './object-store.js';
import { errorName, isNotFound, isPreconditionFailed, sdkAttempts, toS3Error } from './s3-errors.js';
import { createLimiter, startGrowingUpload } from './s3-growing-upload.js';

export interface S3StoreOptions {
  /** Custom endpoint (`http://127.0.0.1:7480`); omit for AWS. */
  endpoint?: string;
  /** Default: AWS_REGION, then us-east-1. */
  region?: string;
  bucket: string;
  /** Key prefix inside the bucket, without leading/trailing slashes (they are stripped). */
  prefix?: string;
  /** Path-style URLs (`endpoint/bucket/key`). Default: true when `endpoint` is set. */
  forcePathStyle?: boolean;
  /** Default: the SDK's credential chain (env, profile, instance role...). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Total attempts per request, including the first. Default 5. */
  maxAttempts?: number;
  /** Upload part size for putFile (default 8 MiB; S3's minimum is 5 MiB). */
  partSize?: number;
  /** Parts uploaded in parallel by putFile (default 4). */
  queueSize?: number;
  /**
   * Part buffers in flight across all growing-file uploads of this store together (default
   * queueSize):
   * bounds memory to this many × partSize however many files are open.
   */
  growingPartsInFlight?: number;
  /** Page size for list() (default 1000, S3's maximum); small values only make sense in tests. */
  listPageSize?: number;
  /** publish() switches from CopyObject to multipart copy above this size (default 5 GiB, S3's CopyObject limit). */
  multipartCopyThreshold?: number;
  /** Part size for multipart copy (default 512 MiB). */
  copyPartSize?: number;
}

export interface S3ObjectStore extends ObjectStore {
  uploadGrowingFile: NonNullable<ObjectStore['uploadGrowingFile']>;
  abortUploads: NonNullable<ObjectStore['abortUploads']>;
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  /** Release the client's sockets. */
  close(): void;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const COPY_LIMIT = 5 * GiB;

export function createS3Client(opts: S3StoreOptions): S3Client {
  if (opts.credentials) {
    // Defence in depth: should an SDK message ever echo them, the masker hides them in logs.
    masker.register(opts.credentials.secretAccessKey);
    masker.register(opts.credentials.sessionToken);
  }
  return new S3Client({
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    maxAttempts: opts.maxAttempts ?? 5,
    retryMode: 'standard',
  });
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createS3Store(opts: S3StoreOptions): S3ObjectStore {
  const client = createS3Client(opts);
  const Bucket = opts.bucket;
  const base = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (base !== '') assertValidKey(base);
  const fail = (op: string, key: string | undefined, err: unknown, code: ErrorCode): DativoError =>
    toS3Error(op, key, err, code, opts);

  const full = (key: string): string => {
    assertValidKey(key);
    return base === '' ? key : `${base}/${key}`;
  };

  const head = async (key: string): Promise<HeadObjectCommandOutput | undefined> => {
    try {
      return await client.send(new HeadObjectCommand({ Bucket, Key: full(key) }));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw fail('HeadObject', key, e, 'CONNECTION_FAILED');
    }
  };

  const limiter = createLimiter(opts.growingPartsInFlight ?? opts.queueSize ?? 4);

  const store: S3ObjectStore = {
    location: `s3://${Bucket}${base === '' ? '' : `/${base}`}`,
    client,
    bucket: Bucket,
    prefix: base,
    close: () => client.destroy(),

    async putFile(key, localPath, attrs = {}) {
      const Key = full(key);
      const { size } = await stat(localPath);
      // lib-storage buffers the stream into parts: one PutObject below partSize, a multipart upload
      // above it; a failed multipart upload is aborted so no orphan parts are billed.
      // Tags go through lib-storage's PutObjectTagging after the upload: radosgw 16 ignores the
      // x-amz-tagging header on CreateMultipartUpload (measured), so the header is not enough.
      const tags = Object.entries(attrs.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
      const upload = new Upload({
        client,
        params: {
          Bucket,
          Key,
          Body: createReadStream(localPath),
          ...(attrs.metadata ? { Metadata: attrs.metadata } : {}),
        },
        ...(tags.length > 0 ? { tags } : {}),
        partSize: opts.partSize ?? 8 * MiB,
        queueSize: opts.queueSize ?? 4,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (e) {
        throw fail('Upload', key, e, 'WRITE_FAILED');
      }
      return { bytes: size };
    },

    uploadGrowingFile(key, localPath) {
      return startGrowingUpload({
        client,
        Bucket,
        Key: full(key),
        key,
        localPath,
        partSize: Math.max(5 * MiB, opts.partSize ?? 8 * MiB),
        limiter,
        fail: (op, e) => fail(op, key, e, 'WRITE_FAILED'),
      });
    },

    async abortUploads(prefix) {
      if (prefix.startsWith('/')) throw new Error(`invalid prefix: ${JSON.stringify(prefix)}`);
      const Prefix = base === '' ? prefix : `${base}/${prefix}`;
      let n = 0;
      try {
        let KeyMarker: string | undefined;
        let UploadIdMarker: string | undefined;
        do {
          const out = await client.send(
            new ListMultipartUploadsCommand({ Bucket, Prefix, KeyMarker, UploadIdMarker }),
          );
          for (const u of out.Uploads ?? []) {
            if (!u.Key || !u.UploadId) continue;
            await client
              .send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId }))
              .catch((e: unknown) => {
                if (errorName(e) !== 'NoSuchUpload') throw e;
              });
            n++;
          }
          const more = out.IsTruncated === true;
          KeyMarker = more ? out.NextKeyMarker : undefined;
          UploadIdMarker = more ? out.NextUploadIdMarker : undefined;
        } while (KeyMarker);
      } catch (e) {
        throw fail('AbortMultipartUpload', prefix, e, 'WRITE_FAILED');
      }
      return n;
    },

    async putBytes(key, data, putOpts = {}) {
      const Key = full(key);
      for (let attempt = 1; ; attempt++) {
        try {
          await client.send(
            new PutObjectCommand({
              Bucket,
              Key,
              Body: data,
              ...(putOpts.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
            }),
          );
          return;
        } catch (e) {
          if (putOpts.ifNoneMatch && isPreconditionFailed(e)) {
            // A retried conditional create can find the object its own lost first attempt wrote.
            // Same bytes → that was us, and the create succeeded.
            if (sdkAttempts(e) > 1 && sameBytes(await store.get(key), data)) return;
            throw new PreconditionFailed(key);
          }
          // 409: a concurrent conditional write to the same key was in flight; S3 asks to retry.
          if (putOpts.ifNoneMatch && errorName(e) === 'ConditionalRequestConflict' && attempt < 4) {
            await sleep(100 * 2 ** attempt);
            continue;
          }
          throw fail('PutObject', key, e, 'WRITE_FAILED');
        }
      }
    },

    async get(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket, Key: full(key) }));
        return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw fail('GetObject', key, e, 'CONNECTION_FAILED');
      }
    },

    async exists(key) {
      return (await head(key)) !== undefined;
    },

    async list(prefix) {
      if (prefix.startsWith('/')) throw new Error(`invalid list prefix: ${JSON.stringify(prefix)}`);
      const strip = base === '' ? 0 : base.length + 1;
      const Prefix = base === '' ? prefix : `${base}/${prefix}`;
      const keys: string[] = [];
      try {
        const pages = paginateListObjectsV2(
          { client, pageSize: opts.listPageSize ?? 1000 },
          { Bucket, Prefix },
        );
        for await (const page of pages) {
          for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key.slice(strip));
        }
      } catch (e) {
        throw fail('ListObjectsV2', prefix, e, 'CONNECTION_FAILED');
      }
      return keys.sort();
    },

    async publish(srcKey, dstKey, attrs) {
      if (srcKey === dstKey) return;
      const src = await head(srcKey);
      if (!src) throw new ObjectNotFound(srcKey);
      const size = src.ContentLength ?? 0;
      try {
        if (size > (opts.multipartCopyThreshold ?? COPY_LIMIT)) {
          await multipartCopy(
            client,
            Bucket,
            full(srcKey),
            full(dstKey),
            src,
            opts.copyPartSize ?? 512 * MiB,
            attrs?.metadata,
          );
        } else {
          await client.send(
            new CopyObjectCommand({
              Bucket,
              Key: full(dstKey),
              CopySource: copySource(Bucket, full(srcKey)),
              // Attributes known only once the file closed replace the staged object's.
              ...(attrs?.metadata ? { MetadataDirective: 'REPLACE', Metadata: attrs.metadata } : {}),
            }),
          );
        }
        // radosgw 16 ignores x-amz-tagging(-directive) on copies (measured): tag explicitly.
        const TagSet = Object.entries(attrs?.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
        if (TagSet.length > 0) {
          await client.send(new PutObjectTaggingCommand({ Bucket, Key: full(dstKey), Tagging: { TagSet } }));
        }
      } catch (e) {
        if (isNotFound(e)) throw new ObjectNotFound(srcKey);
        throw fail('CopyObject', `${srcKey} -> ${dstKey}`, e, 'COMMIT_FAILED');
      }
      // Last: while the staged copy exists, recovery repeats the whole publish (copy and tags).
      await store.delete(srcKey);
    },

    async delete(key) {
      try {
        // S3 answers 204 for a missing key too, so repeating a delete is harmless.
        await client.send(new DeleteObjectCommand({ Bucket, Key: full(key) }));
      } catch (e) {
        if (isNotFound(e)) return;
        throw fail('DeleteObject', key, e, 'WRITE_FAILED');
      }
    },
  };
  return store;
}

/**
 * Create the bucket if it is missing (tests, quickstart). Owning it already is fine; a name
 * taken by someone else is an error.
 */
export async function ensureBucket(opts: S3StoreOptions): Promise<void> {
  const client = createS3Client(opts);
  try {
    try {
      await client.send(new HeadBucketCommand({ Bucket: opts.bucket }));
      return;
    } catch (e) {
      if (!isNotFound(e)) throw toS3Error('HeadBucket', undefined, e, 'CONNECTION_FAILED', opts);
    }
    try {
      await client.send(new CreateBucketCommand({ Bucket: opts.bucket }));
    } catch (e) {
      if (errorName(e) === 'BucketAlreadyOwnedByYou') return;
      throw toS3Error('CreateBucket', undefined, e, 'CONFIG_INVALID', opts);
    }
  } finally {
    client.destroy();
  }
}

/**
 * Server-side copy in ranges with UploadPartCopy, for sources over CopyObject's 5 GiB limit.
 * `CopySourceIfMatch` pins every range to the same source version; a failure aborts the upload.
 */
async function multipartCopy(
  client: S3Client,
  Bucket: string,
  srcKey: string,
  dstKey: string,
  src: HeadObjectCommandOutput,
  wantedPartSize: number,
  metadata?: Record<string, string>,
): Promise<void> {
  const size = src.ContentLength ?? 0;
  // At most 10 000 parts, each at least 5 MiB (except the last) and at most 5 GiB.
  const partSize = Math.min(COPY_LIMIT, Math.max(5 * MiB, wantedPartSize, Math.ceil(size / 10_000)));
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({
      Bucket,
      Key: dstKey,
      ...(src.ContentType ? { ContentType: src.ContentType } : {}),
      ...(metadata ? { Metadata: metadata } : src.Metadata ? { Metadata: src.Metadata } : {}),
    }),
  );
  if (!UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
  try {
    const ranges: Array<{ PartNumber: number; range: string }> = [];
    for (let off = 0, n = 1; off < size; off += partSize, n++) {
      ranges.push({ PartNumber: n, range: `bytes=${off}-${Math.min(size, off + partSize) - 1}` });
    }
    const parts: Array<{ PartNumber: number; ETag: string }> = [];
    const CopySource = copySource(Bucket, srcKey);
    // Four ranges in flight: the copy happens inside the server, the client only waits.
    for (let i = 0; i < ranges.length; i += 4) {
      const batch = await Promise.all(
        ranges.slice(i, i + 4).map(async ({ PartNumber, range }) => {
          const out = await client.send(
            new UploadPartCopyCommand({
              Bucket,
              Key: dstKey,
              UploadId,
              PartNumber,
              CopySource,
              CopySourceRange: range,
              ...(src.ETag ? { CopySourceIfMatch: src.ETag } : {}),
            }),
          );
          const ETag = out.CopyPartResult?.ETag;
          if (!ETag) throw new Error(`UploadPartCopy part ${PartNumber} returned no ETag`);
          return { PartNumber, ETag };
        }),
      );
      parts.push(...batch);
    }
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: dstKey,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    // CopyObject copies tags; a multipart copy does not, so carry them over explicitly.
    if ((src.TagCount ?? 0) > 0) {
      const { TagSet } = await client.send(new GetObjectTaggingCommand({ Bucket, Key: srcKey }));
      if (TagSet && TagSet.length > 0) {
        await client.send(new PutObjectTaggingCommand({ Bucket, Key: dstKey, Tagging: { TagSet } }));
      }
    }
  } catch (e) {
    await client
      .send(new AbortMultipartUploadCommand({ Bucket, Key: dstKey, UploadId }))
      .catch(() => undefined);
    throw e;
  }
}

/** `bucket/key` with each key segment URL-encoded, as x-amz-copy-source requires. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return (
    a !== undefined &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    )
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
