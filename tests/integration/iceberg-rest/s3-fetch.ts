/**
 * icebird reads only over `fetch`, turning `s3://bucket/key` into
 * `https://bucket.s3.amazonaws.com/key`. This routes exactly those URLs to radosgw through the
 * signed S3 client (GET with Range, HEAD), so icebird reads the real objects without making the
 * bucket public. Everything else goes to the real fetch.
 */
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';

const AWS_HOST = /^https:\/\/([^/.]+)\.s3\.amazonaws\.com\/(.+)$/;

export function withS3Fetch(client: S3Client): () => void {
  const real = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const m = AWS_HOST.exec(url);
    if (!m) return real(input, init);
    const Bucket = m[1] as string;
    const Key = decodeURIComponent(m[2] as string);
    try {
      if (init?.method === 'HEAD') {
        const h = await client.send(new HeadObjectCommand({ Bucket, Key }));
        return new Response(null, {
          status: 200,
          headers: { 'content-length': String(h.ContentLength ?? 0) },
        });
      }
      const range = new Headers(init?.headers).get('range') ?? undefined;
      const out = await client.send(
        new GetObjectCommand({ Bucket, Key, ...(range ? { Range: range } : {}) }),
      );
      const bytes = await (
        out.Body as { transformToByteArray(): Promise<Uint8Array> }
      ).transformToByteArray();
      return new Response(bytes, {
        status: range ? 206 : 200,
        headers: { 'content-length': String(bytes.length) },
      });
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 500;
      return new Response(null, { status });
    }
  };
  return () => {
    globalThis.fetch = real;
  };
}
