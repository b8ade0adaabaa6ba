/**
 * Which catalog and storage an `iceberg` target uses (the seam between config and catalogs):
 *
 * - `target.connection.nessie.uri`, `target.connection.rest.uri` or a `target.catalog` map with a
 *   `uri` → the Iceberg REST catalog client (a Nessie `/api/v1|v2` URI becomes its `/iceberg`
 *   REST endpoint). Data files go where the catalog puts the table, through the target's S3
 *   connection.
 * - otherwise the filesystem catalog, with the warehouse at `target.warehouse` if set, else a
 *   local `target.connection.path`, else the target's S3 bucket + prefix (as the s3 sink reads
 *   them), so the original's job files run unchanged.
 *
 * The table is `<domain|default>.<asset name>` (the original's naming), unless
 * `target.namespace` / `target.table` say otherwise.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ResolvedJob } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import type { Catalog, TableIdent } from '../../iceberg/catalog.js';
import { createFilesystemCatalog } from '../../iceberg/fs-catalog.js';
import { type FileIO, storeFileIO } from '../../iceberg/io.js';
import { createRestCatalog } from '../../iceberg/rest/client.js';
import { normalizeAssetName } from '../layout.js';
import { s3TargetOptions } from '../s3/connection.js';
import { createLocalStore } from '../store/local.js';
import type { ObjectStore } from '../store/object-store.js';
import { createS3Store, type S3StoreOptions } from '../store/s3.js';

export type IcebergTargetJob = Pick<ResolvedJob, 'target' | 'contract'> & { locate?: ResolvedJob['locate'] };

export interface IcebergTarget {
  catalog: Catalog;
  ident: TableIdent;
  /** The warehouse (filesystem) or catalog URI (REST), for reports; never credentials. */
  location: string;
  /** Storage for a table location (data files, manifests); S3 clients are cached per bucket. */
  ioFor(tableLocation: string): { io: FileIO; store: ObjectStore; tableKey: string };
  close(): void;
}

type Conn = Record<string, unknown>;
const isMap = (v: unknown): v is Conn => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;

export function tableIdentOf(job: IcebergTargetJob): TableIdent {
  const cfg = job.target.config;
  const ns = str(cfg.namespace) ?? (job.contract.domain?.trim() || 'default');
  const name = str(cfg.table) ?? normalizeAssetName(job.contract.name);
  return {
    namespace: ns.split('.').map((s) => s.replace(/[/\\]/g, '_')),
    name: name.replace(/[/\\.]/g, '_'),
  };
}

/** The REST catalog settings of a job, if it names one. */
export function restCatalogOf(
  job: IcebergTargetJob,
): { uri: string; warehouse?: string; token?: string } | undefined {
  const conn = job.target.connection;
  const cat = job.target.config.catalog;
  const candidates: Conn[] = [];
  if (isMap(conn.nessie)) candidates.push(conn.nessie);
  if (isMap(conn.rest)) candidates.push(conn.rest);
  if (isMap(conn.catalog)) candidates.push(conn.catalog);
  if (isMap(cat)) candidates.push(isMap(cat.connection) ? { ...cat, ...cat.connection } : cat);
  for (const c of candidates) {
    const uri = str(c.uri) ?? str(c.url);
    if (!uri) continue;
    const warehouse = str(c.warehouse) ?? str(job.target.config.warehouse);
    const token = str(c.token) ?? str(c.auth_token);
    return { uri: nessieRestUri(uri), ...(warehouse ? { warehouse } : {}), ...(token ? { token } : {}) };
  }
  return undefined;
}

/** Nessie's native API lives at `/api/v1|v2`; its Iceberg REST endpoint at `/iceberg`. */
export function nessieRestUri(uri: string): string {
  return uri.replace(/\/+$/, '').replace(/\/api\/v[12]$/, '/iceberg');
}

/** The filesystem warehouse: a local directory or an S3 bucket/prefix. */
function warehouseOf(
  job: IcebergTargetJob,
): { kind: 'local'; dir: string } | { kind: 's3'; opts: S3StoreOptions } {
  const explicit = str(job.target.config.warehouse) ?? str(job.target.connection.warehouse);
  if (explicit && /^s3[an]?:\/\//.test(explicit)) {
    const u = explicit.replace(/^s3[an]?:\/\//, '');
    const [bucket = '', ...rest] = u.split('/');
    const prefix = rest.join('/').replace(/^\/+|\/+$/g, '');
    const base = s3StoreOptions(job, bucket);
    return { kind: 's3', opts: { ...base, bucket, ...(prefix ? { prefix } : {}) } };
  }
  if (explicit)
    return {
      kind: 'local',
      dir: explicit.startsWith('file:') ? fileURLToPath(explicit) : path.resolve(explicit),
    };
  const p = str(job.target.connection.path);
  if (p) return { kind: 'local', dir: path.resolve(p) };
  return { kind: 's3', opts: s3TargetOptions(job).store };
}

/** The target's S3 connection (endpoint, credentials), for a given bucket. */
function s3StoreOptions(job: IcebergTargetJob, bucket: string): S3StoreOptions {
  try {
    const { prefix: _p, ...opts } = s3TargetOptions(job, { ...process.env, S3_BUCKET: bucket }).store;
    return { ...opts, bucket };
  } catch (e) {
    if (e instanceof DativoError) throw e;
    return { bucket, region: process.env.AWS_REGION ?? 'us-east-1' };
  }
}

export interface OpenTargetOptions {
  /** S3 store overrides (tests): attempts, part size. */
  store?: Partial<S3StoreOptions>;
}

export function openIcebergTarget(job: IcebergTargetJob, opts: OpenTargetOptions = {}): IcebergTarget {
  const ident = tableIdentOf(job);
  const s3Stores = new Map<string, ReturnType<typeof createS3Store>>();
  const s3 = (o: S3StoreOptions) => {
    const k = `${o.bucket}/${o.prefix ?? ''}`;
    let s = s3Stores.get(k);
    if (!s) {
      s = createS3Store({ maxAttempts: 10, ...o, ...opts.store });
      s3Stores.set(k, s);
    }
    return s;
  };
  const close = () => {
    for (const s of s3Stores.values()) s.close();
  };

  /** Storage for any table location: S3 through the target's connection, or the local disk. */
  const ioFor = (tableLocation: string) => {
    if (tableLocation.startsWith('file:')) {
      const store = createLocalStore('/');
      const keyOf = (loc: string) => fileURLToPath(loc).replace(/^\/+/, '');
      const io: FileIO = {
        base: 'file://',
        keyOf,
        write: (loc, b) => store.putBytes(keyOf(loc), b),
        read: (loc) => store.get(keyOf(loc)),
        delete: (loc) => store.delete(keyOf(loc)),
      };
      return { io, store, tableKey: keyOf(tableLocation) };
    }
    const m = /^s3[an]?:\/\/([^/]+)(?:\/(.*))?$/.exec(tableLocation);
    if (!m) {
      throw new DativoError(
        'CONFIG_INVALID',
        `unsupported Iceberg table location ${tableLocation} (s3:// or file:// only)`,
      );
    }
    const bucket = m[1] as string;
    const store = s3({ ...s3StoreOptions(job, bucket) });
    const io = storeFileIO(store, `s3://${bucket}`);
    return { io, store, tableKey: (m[2] ?? '').replace(/\/+$/, '') };
  };

  const rest = restCatalogOf(job);
  if (rest) {
    return { catalog: createRestCatalog(rest), ident, location: rest.uri, ioFor, close };
  }
  const wh = warehouseOf(job);
  if (wh.kind === 'local') {
    const store = createLocalStore(wh.dir);
    const warehouse = pathToFileURL(wh.dir).href.replace(/\/+$/, '');
    return {
      catalog: createFilesystemCatalog({ store, warehouse }),
      ident,
      location: warehouse,
      ioFor,
      close,
    };
  }
  const store = s3(wh.opts);
  const warehouse = `s3://${wh.opts.bucket}${wh.opts.prefix ? `/${wh.opts.prefix}` : ''}`;
  return { catalog: createFilesystemCatalog({ store, warehouse }), ident, location: warehouse, ioFor, close };
}
