/**
 * An Iceberg REST catalog without a JVM: the filesystem catalog over a warehouse (S3 with
 * conditional writes, or a local directory) behind `server.ts`. Spark, Trino, PyIceberg, DuckDB
 * and `dativo run` (`target.connection.nessie.uri`) can then share one catalog.
 *
 *   node dist/host/iceberg/rest/serve.js --warehouse s3://bucket/lake [--port 8181] [--host 0.0.0.0]
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
  if (m) {
    const bucket = m[1] as string;
    const prefix = (m[2] ?? '').replace(/\/+$/, '');
    const store = createS3Store({ ...opts.s3, bucket, ...(prefix ? { prefix } : {}) });
    close = () => store.close();
    warehouse = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
    catalog = createFilesystemCatalog({ store, warehouse });
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

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<void> {
  const warehouse = flag(args, 'warehouse');
  if (!warehouse) {
    process.stderr.write(
      'usage: serve.js --warehouse s3://bucket/prefix|<dir> [--port 8181] [--host 127.0.0.1]\n',
    );
    process.exitCode = 2;
    return;
  }
  const env = process.env;
  const running = await serveWarehouse({
    warehouse,
    port: Number(flag(args, 'port') ?? 8181),
    host: flag(args, 'host') ?? '127.0.0.1',
    ...(env.DATIVO_CATALOG_TOKEN ? { token: env.DATIVO_CATALOG_TOKEN } : {}),
    ...(env.DATIVO_CATALOG_CREDENTIAL ? { credential: env.DATIVO_CATALOG_CREDENTIAL } : {}),
    s3: {
      ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
      ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
      ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } }
        : {}),
    },
  });
  process.stdout.write(`Iceberg REST catalog at ${running.url} (warehouse ${running.warehouse})\n`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
