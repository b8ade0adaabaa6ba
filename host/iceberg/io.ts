/**
 * FileIO: reading and writing the files a table's metadata points at (manifests, manifest lists,
 * data files) by their full location (`s3://bucket/key`, `file:///dir/key`), over an ObjectStore
 * rooted at `baseUri`. `s3a://` and `s3n://` mean the same as `s3://`.
 */
import type { ObjectStore } from '../sinks/store/object-store.js';

export interface FileIO {
  /** The base URI this IO can reach (locations outside it are refused). */
  readonly base: string;
  keyOf(location: string): string;
  write(location: string, bytes: Uint8Array): Promise<void>;
  read(location: string): Promise<Uint8Array | undefined>;
  delete(location: string): Promise<void>;
}

const normalize = (uri: string): string => uri.replace(/^s3[an]:\/\//, 's3://').replace(/\/+$/, '');

export function storeFileIO(store: ObjectStore, baseUri: string): FileIO {
  const base = normalize(baseUri);
  const keyOf = (location: string): string => {
    const loc = normalize(location);
    if (!loc.startsWith(`${base}/`)) throw new Error(`${location} is outside ${base} (${store.location})`);
    return loc.slice(base.length + 1);
  };
  return {
    base,
    keyOf,
    write: (loc, bytes) => store.putBytes(keyOf(loc), bytes),
    read: (loc) => store.get(keyOf(loc)),
    delete: (loc) => store.delete(keyOf(loc)),
  };
}
