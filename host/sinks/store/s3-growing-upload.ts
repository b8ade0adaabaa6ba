/**
 * Upload a local file to S3 while another thread is still appending to it (the Parquet encoder
 * writes sequentially). Every complete part-sized range already on disk goes up as an UploadPart
 * of one multipart upload, so the network works while the encoder works; the tail goes up once
 * the file's final size is known. A file that never reaches one part is a single PutObject.
 *
 * Memory stays bounded: a part is read from disk only after a slot of the store-wide limiter is
 * taken, so at most `limiter.size` part buffers exist at once, whatever the number of files.
 *
 * Why poll the size: the writer is a worker thread that knows nothing of S3. Bytes below the
 * file's current size are final (the encoder never seeks back), so reading them is safe.
 */
import { type FileHandle, open } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { DativoError } from '../../errors.js';
import type { GrowingFileUpload } from './object-store.js';

/** A counting semaphore: part buffers in flight across every upload of one store. */
export interface Limiter {
  readonly size: number;
  acquire(): Promise<() => void>;
}

export function createLimiter(size: number): Limiter {
  let free = Math.max(1, size);
  const waiting: Array<() => void> = [];
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return {
    size: Math.max(1, size),
    acquire: () =>
      new Promise((resolve) => {
        const grant = (): void => {
          let done = false;
          resolve(() => {
            if (!done) release();
            done = true;
          });
        };
        if (free > 0) {
          free--;
          grant();
        } else waiting.push(grant);
      }),
  };
}

export interface GrowingUploadArgs {
  client: S3Client;
  Bucket: string;
  /** Full S3 key (prefix included). */
  Key: string;
  /** The relative key, for messages. */
  key: string;
  localPath: string;
  /** Part size for the first 1000 parts; doubled every 1000 parts to stay under S3's 10 000. */
  partSize: number;
  limiter: Limiter;
  /** How often to look at the file's size while it grows (ms). */
  pollMs?: number;
  fail: (op: string, err: unknown) => DativoError;
}

const MAX_PARTS = 10_000;

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function startGrowingUpload(a: GrowingUploadArgs): GrowingFileUpload {
  const { client, Bucket, Key } = a;
  let uploadId: string | undefined;
  let creating: Promise<string> | undefined;
  let offset = 0;
  let nextPart = 1;
  const parts: Array<{ PartNumber: number; ETag: string }> = [];
  const inFlight = new Set<Promise<void>>();
  let error: DativoError | undefined;
  let aborted = false;
  let finalSize: number | undefined;
  let fh: FileHandle | undefined;
  let wake: (() => void) | undefined;

  const partSizeFor = (n: number): number => a.partSize * 2 ** Math.floor((n - 1) / 1000);

  const ensureUpload = (): Promise<string> => {
    creating ??= client.send(new CreateMultipartUploadCommand({ Bucket, Key })).then(
      (out) => {
        if (!out.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
        uploadId = out.UploadId;
        return uploadId;
      },
      (e: unknown) => {
        throw a.fail('CreateMultipartUpload', e);
      },
    );
    return creating;
  };

  const file = async (): Promise<FileHandle | undefined> => {
    if (fh) return fh;
    try {
      fh = await open(a.localPath, 'r');
      return fh;
    } catch (e) {
      // The encoder creates the file asynchronously: not there yet means nothing to send yet.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  };

  const readRange = async (start: number, length: number): Promise<Buffer> => {
    const h = await file();
    if (!h) throw new Error(`${a.localPath} disappeared during its upload`);
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await h.read(buf, got, length - got, start + got);
      if (bytesRead === 0) throw new Error(`${a.localPath} is shorter than expected (${start + got} bytes)`);
      got += bytesRead;
    }
    return buf;
  };

  /** Take a limiter slot, then read and send one range as the next part (in order of numbers). */
  const sendPart = async (start: number, length: number): Promise<void> => {
    const PartNumber = nextPart++;
    if (PartNumber > MAX_PARTS) throw new Error(`${a.key} needs more than ${MAX_PARTS} parts`);
    offset = start + length;
    const release = await a.limiter.acquire();
    const p = (async () => {
      try {
        if (error || aborted) return;
        const UploadId = await ensureUpload();
        const Body = await readRange(start, length);
        const out = await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body }));
        if (!out.ETag) throw new Error(`UploadPart ${PartNumber} returned no ETag`);
        parts.push({ PartNumber, ETag: out.ETag });
      } catch (e) {
        error ??= a.fail('UploadPart', e);
      } finally {
        release();
      }
    })();
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  /** While the file grows: send every complete part already on disk, then look again. */
  const pump = (async () => {
    while (finalSize === undefined && !aborted && !error) {
      const h = await file().catch((e: unknown) => {
        error ??= a.fail('UploadPart', e);
        return undefined;
      });
      const size = h ? (await h.stat()).size : 0;
      while (finalSize === undefined && !aborted && !error && size - offset >= partSizeFor(nextPart)) {
        await sendPart(offset, partSizeFor(nextPart));
      }
      if (finalSize !== undefined || aborted || error) break;
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, a.pollMs ?? 50).unref();
      });
      wake = undefined;
    }
  })();

  const closeFile = async (): Promise<void> => {
    const h = fh;
    fh = undefined;
    await h?.close().catch(() => undefined);
  };

  const abortUpload = async (): Promise<void> => {
    const id = uploadId ?? (creating ? await creating.catch(() => undefined) : undefined);
    if (!id) return;
    await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: id })).catch(() => undefined); // best effort: recovery aborts leftovers by prefix
  };

  const finish = async (size: number): Promise<{ bytes: number }> => {
    finalSize = size;
    wake?.();
    await pump;
    try {
      if (!error && !creating && size <= partSizeFor(1)) {
        // Small file: one PutObject, no multipart upload at all.
        const Body = size === 0 ? new Uint8Array() : await readRange(0, size);
        try {
          await client.send(new PutObjectCommand({ Bucket, Key, Body }));
        } catch (e) {
          throw a.fail('Upload', e);
        }
        return { bytes: size };
      }
      while (!error && size - offset > 0) {
        await sendPart(offset, Math.min(partSizeFor(nextPart), size - offset));
      }
      await Promise.all([...inFlight]);
      if (error) throw error;
      if (aborted) throw new Error(`upload of ${a.key} was aborted`);
      const UploadId = await ensureUpload();
      parts.sort((x, y) => x.PartNumber - y.PartNumber);
      try {
        await client.send(
          new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
        );
      } catch (e) {
        throw a.fail('CompleteMultipartUpload', e);
      }
      return { bytes: size };
    } catch (e) {
      await abortUpload();
      throw e;
    } finally {
      await closeFile();
    }
  };

  return {
    finish,
    async abort() {
      if (aborted) return;
      aborted = true;
      wake?.();
      await pump.catch(() => undefined);
      await Promise.allSettled([...inFlight]);
      await abortUpload();
      await closeFile();
    },
  };
}
