/** Shared fixtures for the REST catalog tests: a filesystem catalog in a temp dir behind the server. */
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Catalog, TableIdent, TableRequirement, TableUpdate } from '../../../host/iceberg/catalog.js';
import { createFilesystemCatalog, fileWarehouseUri } from '../../../host/iceberg/fs-catalog.js';
import type { IcebergSchema, TableMetadata } from '../../../host/iceberg/metadata.js';
import {
  type RunningRestCatalog,
  type StartOptions,
  startRestCatalogServer,
} from '../../../host/iceberg/rest/server.js';
import { createLocalStore } from '../../../host/sinks/store/local.js';

export const SCHEMA: IcebergSchema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
  ],
};

export interface Fixture {
  dir: string;
  catalog: Catalog;
  server: RunningRestCatalog;
  close(): Promise<void>;
}

/** A filesystem catalog in a fresh temp dir, served over REST on a free port. */
export async function serveTempCatalog(
  opts: Omit<StartOptions, 'catalog'> & { wrap?: (c: Catalog) => Catalog } = {},
): Promise<Fixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-rest-cat-'));
  const fs = createFilesystemCatalog({ store: createLocalStore(dir), warehouse: fileWarehouseUri(dir) });
  const catalog = opts.wrap ? opts.wrap(fs) : fs;
  const server = await startRestCatalogServer({ ...opts, catalog });
  return {
    dir,
    catalog: fs,
    server,
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An append snapshot on top of `md`'s main branch, with the run id in its summary. */
export function appendCommit(
  md: TableMetadata,
  snapshotId: bigint,
  runId: string,
): { requirements: TableRequirement[]; updates: TableUpdate[] } {
  const parent = md.refs.main?.['snapshot-id'];
  const seq = md['last-sequence-number'] + 1;
  return {
    requirements: [
      { type: 'assert-table-uuid', uuid: md['table-uuid'] },
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent ?? null },
    ],
    updates: [
      {
        action: 'add-snapshot',
        snapshot: {
          'snapshot-id': snapshotId,
          ...(parent === undefined ? {} : { 'parent-snapshot-id': parent }),
          'sequence-number': seq,
          'timestamp-ms': Date.now(),
          'manifest-list': `${md.location}/metadata/snap-${snapshotId}.avro`,
          summary: { operation: 'append', 'dativo.run-id': runId },
          'schema-id': md['current-schema-id'],
        },
      },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshotId },
    ],
  };
}

export const ident = (name: string, ...namespace: string[]): TableIdent => ({
  namespace: namespace.length ? namespace : ['db'],
  name,
});
