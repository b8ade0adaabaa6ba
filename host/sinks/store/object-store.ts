/**
 * The object-store abstraction under the commit protocol (architecture §6). Keys are relative,
 * `/`-separated and never escape the store's base; the protocol code only speaks in keys, so a
 * local directory and an S3 prefix are interchangeable below it.
 */

export interface PutBytesOptions {
  /** Conditional create: fail with PreconditionFailed when the key already exists. */
  ifNoneMatch?: boolean;
}

/** Attributes a store may attach to an uploaded object (S3 user metadata and tags); others ignore them. */
export interface PutFileOptions {
  /** User metadata (`x-amz-meta-*`): ASCII keys and values. */
  metadata?: Record<string, string>;
  /** Object tags (S3 allows at most 10). */
  tags?: Record<string, string>;
}

export interface ObjectStore {
  /** Human-readable location of the store (a directory or `s3://bucket/prefix`), for messages. */
  readonly location: string;
  /**
   * Upload a local file under `key` (durable once resolved). `opts` attributes travel with the
   * object, also through publish() (S3 CopyObject copies metadata and tags).
   */
  putFile(key: string, localPath: string, opts?: PutFileOptions): Promise<{ bytes: number }>;
  /** Write `data` under `key` durably; with `ifNoneMatch`, atomically refuse an existing key. */
  putBytes(key: string, data: Uint8Array, opts?: PutBytesOptions): Promise<void>;
  /** The object's bytes, or undefined when it does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Every key that starts with `prefix` (string-prefix semantics, like S3), sorted. */
  list(prefix: string): Promise<string[]>;
  /**
   * Move `srcKey` to `dstKey`, overwriting: a rename locally, a server-side copy + delete on S3.
   * Must be safe to repeat after a crash (the protocol checks existence before repeating).
   * `attrs`, when given, replace the staged object's attributes on the final one (stores without
   * attributes ignore them).
   */
  publish(srcKey: string, dstKey: string, attrs?: PutFileOptions): Promise<void>;
  /** Delete a key; a missing key is not an error. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /**
   * Only for stores backed by the local filesystem: the absolute path where `key` lives, with its
   * parent directory created. Writers then stream straight into the store instead of a temp file.
   */
  localPath?(key: string): Promise<string>;
  /**
   * Only for remote stores: upload `localPath` to `key` while another thread is still appending
   * to it, so the transfer overlaps the encoding. Nothing is readable under `key` before
   * `finish()` resolves (an S3 multipart upload in progress is not an object).
   */
  uploadGrowingFile?(key: string, localPath: string): GrowingFileUpload;
  /**
   * Only for stores with resumable uploads: discard unfinished uploads under `prefix` (a crashed
   * run's staging); returns how many. Listing and delete() do not see them.
   */
  abortUploads?(prefix: string): Promise<number>;
}

/** A file being uploaded while it grows (see ObjectStore.uploadGrowingFile). */
export interface GrowingFileUpload {
  /** The file is complete at `size` bytes: upload the rest; resolves once the object is durable. */
  finish(size: number): Promise<{ bytes: number }>;
  /** Stop uploading and discard the unfinished upload (idempotent; never throws). */
  abort(): Promise<void>;
}

/** A conditional create found the key already there. */
export class PreconditionFailed extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`object already exists: ${key}`);
    this.name = 'PreconditionFailed';
    this.key = key;
  }
}

/** publish() of a key that is not there. */
export class ObjectNotFound extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`object not found: ${key}`);
    this.name = 'ObjectNotFound';
    this.key = key;
  }
}

/**
 * Reject keys that could escape the store's base or mean different things on different stores
 * (absolute, backslashes, empty, `.` or `..` segments).
 */
export function assertValidKey(key: string): void {
  const bad =
    key.length === 0 ||
    key.startsWith('/') ||
    key.includes('\\') ||
    key.includes('\0') ||
    key.split('/').some((seg) => seg === '' || seg === '.' || seg === '..');
  if (bad) throw new Error(`invalid object key: ${JSON.stringify(key)}`);
}

/** Delete every key under a prefix (staging cleanup). */
export async function deletePrefix(store: ObjectStore, prefix: string): Promise<number> {
  const keys = await store.list(prefix);
  for (const k of keys) await store.delete(k);
  return keys.length;
}
