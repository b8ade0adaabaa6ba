/**
 * An Iceberg REST catalog without a JVM: the filesystem catalog over a warehouse (S3 with
 * conditional writes, or a local directory) behind `server.ts`. Spark, Trino, PyIceberg, DuckDB
 * and `dativo run` (`target.connection.nessie.uri`) can then share one catalog.
 *
 *   dativo catalog serve --warehouse s3://bucket/lake [--port 8181] [--host 0.0.0.0]
 *
 * S3 settings come from the environment (S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_REGION); the bearer token from DATIVO_CATALOG_TOKEN and OAuth2 client credentials
 * (`id:secret`) from DATIVO_CATALOG_CREDENTIAL — never from the command line, where `ps` shows them.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DativoError } from '../../errors.js';
import { createLocalStore } from '../../sinks/store/local.js';
import { createS3Store, type S3StoreOptions } from '../../sinks/store/s3.js';
import { createFilesystemCatalog } from '../fs-catalog.js';
import { type RunningRestCatalog, startRestCatalogServer } from './server.js';

export interface ServeWarehouseOptions {
  /** `s3://bucket/prefix` or a local directory (or `file://` URI). */
  warehouse: string;
  port?: number;
  host?: string;
  token?: string;
  credential?: string;
  /** S3 connection for an `s3://` warehouse (default: the SDK's chain and S3_ENDPOINT). */
  s3?: Omit<S3StoreOptions, 'bucket' | 'prefix'>;
}

export async function serveWarehouse(
  opts: ServeWarehouseOptions,
): Promise<RunningRestCatalog & { warehouse: string }> {
  const m = /^s3[an]?:\/\/([^/]+)\/?(.*)$/.exec(opts.warehouse);
  let close: () => void = () => {};
  let catalog: ReturnType<typeof createFilesystemCatalog>;
  let warehouse: string;
  let fileIo: Record<string, string> = {};
  if (m) {
    const bucket = m[1] as string;
    const prefix = (m[2] ?? '').replace(/\/+$/, '');
    const store = createS3Store({ ...opts.s3, bucket, ...(prefix ? { prefix } : {}) });
    close = () => store.close();
    warehouse = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
    catalog = createFilesystemCatalog({ store, warehouse });
    fileIo = s3FileIoProperties(opts.s3);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(opts.warehouse) && !opts.warehouse.startsWith('file://')) {
    throw new DativoError(
      'CONFIG_INVALID',
      `unsupported warehouse ${opts.warehouse}: use s3://bucket/prefix or a directory`,
    );
  } else {
    const dir = opts.warehouse.startsWith('file://')
      ? new URL(opts.warehouse).pathname
      : path.resolve(opts.warehouse);
    warehouse = pathToFileURL(dir).href.replace(/\/+$/, '');
    catalog = createFilesystemCatalog({ store: createLocalStore(dir), warehouse });
  }
  const server = await startRestCatalogServer({
    catalog,
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.token ? { token: opts.token } : {}),
    ...(opts.credential ? { credential: opts.credential } : {}),
    defaults: { warehouse },
    fileIo,
  });
  return {
    url: server.url,
    warehouse,
    async close() {
      await server.close();
      close();
    },
  };
}

/**
 * What an engine needs to reach the warehouse's S3 server (Iceberg's S3FileIO / pyiceberg
 * property names). Credentials are never served: engines bring their own.
 */
export function s3FileIoProperties(s3: ServeWarehouseOptions['s3']): Record<string, string> {
  const region = s3?.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const pathStyle = s3?.forcePathStyle ?? s3?.endpoint !== undefined;
  return {
    'io-impl': 'org.apache.iceberg.aws.s3.S3FileIO',
    ...(s3?.endpoint ? { 's3.endpoint': s3.endpoint } : {}),
    's3.path-style-access': String(pathStyle),
    's3.region': region,
    'client.region': region,
  };
}
