/**
 * Request bodies of the REST spec, as a reference client sends them (checked-in fixtures in
 * tests/fixtures/iceberg-rest/), replayed over HTTP against the server; iceberg-js as an
 * independent client where it has the call. Every assertion is on the wire answer or on the
 * warehouse on disk.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { IcebergRestCatalog } from 'iceberg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldIds } from '../../../host/iceberg/field-ids.js';
import { createFilesystemCatalog, fileWarehouseUri } from '../../../host/iceberg/fs-catalog.js';
import type { IcebergSchema, TableMetadata } from '../../../host/iceberg/metadata.js';
import { startRestCatalogServer } from '../../../host/iceberg/rest/server.js';
import { createLocalStore } from '../../../host/sinks/store/local.js';
import { REPO } from '../../helpers/cli.js';
import { type Fixture, SCHEMA, serveTempCatalog } from './helpers.js';

const fixture = (name: string): string =>
  readFileSync(path.join(REPO, 'tests/fixtures/iceberg-rest', name), 'utf8');

let fx: Fixture;
let cat: IcebergRestCatalog;
const base = () => `${fx.server.url}/v1`;
const tableUrl = (name: string) => `${base()}/namespaces/spec/tables/${name}`;

async function call(method: string, url: string, body?: string) {
  const res = await fetch(url, {
    method,
    ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const currentFields = (md: TableMetadata): IcebergSchema =>
  md.schemas.find((s) => s['schema-id'] === md['current-schema-id']) as IcebergSchema;

beforeAll(async () => {
  fx = await serveTempCatalog();
  cat = new IcebergRestCatalog({ baseUrl: fx.server.url });
  await cat.createNamespace({ namespace: ['spec'] }, { properties: { team: 'data' } });
});
afterAll(() => fx?.close());

describe('REST spec requests replayed over HTTP', () => {
  it('a nested create keeps last-column-id at the highest nested id; add-schema without last-column-id continues from it', async () => {
    const created = await call(
      'POST',
      `${base()}/namespaces/spec/tables`,
      fixture('create-table-nested.json'),
    );
    expect(created.status).toBe(200);
    expect(created.body.metadata['last-column-id']).toBe(9);

    const evolved = await call(
      'POST',
      tableUrl('customers'),
      fixture('add-schema-without-last-column-id.json'),
    );
    expect(evolved.status).toBe(200);
    const md = evolved.body.metadata as TableMetadata;
    expect(md['current-schema-id']).toBe(1);
    const ids = fieldIds(currentFields(md));
    expect(ids.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(md['last-column-id']).toBe(10);
  });

  it('refuses a schema whose field ids repeat, naming the id; the table is unchanged', async () => {
    const bad = await call('POST', tableUrl('customers'), fixture('add-schema-duplicate-id.json'));
    expect(bad.status).toBe(400);
    expect(bad.body.error.type).toBe('BadRequestException');
    expect(bad.body.error.message).toContain('field id 4 is used more than once');
    const loaded = await cat.loadTable({ namespace: ['spec'], name: 'customers' });
    expect(loaded.schemas).toHaveLength(2);
  });

  it('remove-properties removes the named keys', async () => {
    const res = await call('POST', tableUrl('customers'), fixture('remove-properties.json'));
    expect(res.status).toBe(200);
    expect(res.body.metadata.properties).toEqual({ 'write.format.default': 'parquet' });
  });

  it('a staged create is invisible until its assert-create commit, which creates it from the updates', async () => {
    const staged = await call('POST', `${base()}/namespaces/spec/tables`, fixture('stage-create.json'));
    expect(staged.status).toBe(200);
    expect(staged.body['metadata-location']).toBeUndefined();
    expect((await call('GET', tableUrl('orders'))).status).toBe(404);
    const listed = await call('GET', `${base()}/namespaces/spec/tables`);
    expect(listed.body.identifiers.map((i: { name: string }) => i.name)).not.toContain('orders');

    const committed = await call('POST', tableUrl('orders'), fixture('commit-assert-create.json'));
    expect(committed.status).toBe(200);
    expect(committed.body['metadata-location']).toMatch(/\/spec\/orders\/metadata\/v1\.metadata\.json$/);
    const loaded = await cat.loadTable({ namespace: ['spec'], name: 'orders' });
    expect(loaded['table-uuid']).toBe('5f4c5a8e-2b0c-4c55-9d6e-3a2f1b0c9d8e');
    expect(loaded['last-column-id']).toBe(2);
    expect(loaded.properties).toEqual({ 'created-by': 'ctas', 'write.format.default': 'parquet' });
    // a second assert-create commit finds the table: 409
    const again = await call('POST', tableUrl('orders'), fixture('commit-assert-create.json'));
    expect(again.status).toBe(409);
    expect(again.body.error.type).toBe('CommitFailedException');
  });

  it('renames a table: the new name loads the same table, the old one is gone', async () => {
    const before = await cat.loadTable({ namespace: ['spec'], name: 'customers' });
    const res = await call('POST', `${base()}/tables/rename`, fixture('rename-table.json'));
    expect(res.status).toBe(204);
    const after = await cat.loadTable({ namespace: ['spec'], name: 'clients' });
    expect(after['table-uuid']).toBe(before['table-uuid']);
    expect((await call('GET', tableUrl('customers'))).status).toBe(404);
    const again = await call('POST', `${base()}/tables/rename`, fixture('rename-table.json'));
    expect(again.status).toBe(404);
  });

  it('drops a table with iceberg-js (files kept) and with purge (files deleted)', async () => {
    await cat.createTable({ namespace: ['spec'] }, { name: 'keep', schema: SCHEMA as never });
    await cat.createTable({ namespace: ['spec'] }, { name: 'gone', schema: SCHEMA as never });
    const dataFile = path.join(fx.dir, 'spec/keep/data/x.parquet');
    await createLocalStore(fx.dir).putBytes('spec/keep/data/x.parquet', new Uint8Array([1]));
    await cat.dropTable({ namespace: ['spec'], name: 'keep' }, { purge: false });
    expect((await call('GET', tableUrl('keep'))).status).toBe(404);
    expect(existsSync(dataFile)).toBe(true);

    const purged = await call('DELETE', `${tableUrl('gone')}?purgeRequested=true`);
    expect(purged.status).toBe(204);
    expect(existsSync(path.join(fx.dir, 'spec/gone'))).toBe(false);
    expect((await call('DELETE', tableUrl('gone'))).status).toBe(404);
  });

  it('serves the endpoints it implements and answers 406 for the rest', async () => {
    const cfg = await call('GET', `${base()}/config`);
    expect(cfg.body.endpoints).toContain('POST /v1/{prefix}/tables/rename');
    expect(cfg.body.endpoints).toContain('DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}');
    expect(cfg.body.endpoints.some((e: string) => e.includes('/views'))).toBe(false);
    const views = await call('GET', `${base()}/namespaces/spec/views`);
    expect(views.status).toBe(406);
    expect(views.body.error.type).toBe('UnsupportedOperationException');
  });
});

describe('update kinds of a v2 table', () => {
  const commit = (name: string, updates: unknown[]) =>
    call('POST', tableUrl(name), JSON.stringify({ requirements: [], updates }));

  it('applies remove-snapshots, set-statistics, assign-uuid; refuses a format upgrade past v2 by name', async () => {
    await cat.createTable({ namespace: ['spec'] }, { name: 'kinds', schema: SCHEMA as never });
    const snap = (id: number, seq: number, parent?: number) => ({
      action: 'add-snapshot',
      snapshot: {
        'snapshot-id': id,
        ...(parent ? { 'parent-snapshot-id': parent } : {}),
        'sequence-number': seq,
        'timestamp-ms': 1_700_000_000_000 + seq,
        'manifest-list': `file:///x/snap-${id}.avro`,
        summary: { operation: 'append' },
      },
    });
    const ref = (id: number) => ({
      action: 'set-snapshot-ref',
      'ref-name': 'main',
      type: 'branch',
      'snapshot-id': id,
    });
    expect((await commit('kinds', [snap(11, 1), ref(11), snap(12, 2, 11), ref(12)])).status).toBe(200);
    const stats = {
      'snapshot-id': 12,
      'statistics-path': 'file:///x/stats.puffin',
      'file-size-in-bytes': 100,
      'file-footer-size-in-bytes': 20,
      'blob-metadata': [],
    };
    const res = await commit('kinds', [
      { action: 'remove-snapshots', 'snapshot-ids': [11] },
      { action: 'set-statistics', 'snapshot-id': 12, statistics: stats },
      { action: 'assign-uuid', uuid: '00000000-0000-4000-8000-000000000001' },
      { action: 'upgrade-format-version', 'format-version': 2 },
    ]);
    expect(res.status).toBe(200);
    const md = res.body.metadata;
    expect(md.snapshots.map((s: { 'snapshot-id': number }) => s['snapshot-id'])).toEqual([12]);
    expect(md['snapshot-log'].map((s: { 'snapshot-id': number }) => s['snapshot-id'])).toEqual([12]);
    expect(md.statistics).toEqual([stats]);
    expect(md['table-uuid']).toBe('00000000-0000-4000-8000-000000000001');

    const v3 = await commit('kinds', [{ action: 'upgrade-format-version', 'format-version': 3 }]);
    expect(v3.status).toBe(400);
    expect(v3.body.error.message).toContain('upgrade-format-version');
    const unknown = await commit('kinds', [{ action: 'enable-row-lineage' }]);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toBe('unsupported update enable-row-lineage');
  });
});

describe('namespaces survive a restart', () => {
  it('lists created namespaces with their properties, and namespaces that only hold tables', async () => {
    const first = await serveTempCatalog();
    try {
      await fetch(`${first.server.url}/v1/namespaces`, {
        method: 'POST',
        body: JSON.stringify({ namespace: ['sales'], properties: { owner: 'fin' } }),
      });
      // a table written without the server (as `dativo run` does) makes its namespace visible
      const fs = createFilesystemCatalog({
        store: createLocalStore(first.dir),
        warehouse: fileWarehouseUri(first.dir),
      });
      await fs.createTable({ namespace: ['ops'], name: 't' }, { name: 't', schema: SCHEMA });
      await first.server.close();

      const again = await startRestCatalogServer({ catalog: fs });
      try {
        const list = (await (await fetch(`${again.url}/v1/namespaces`)).json()) as { namespaces: string[][] };
        expect(list.namespaces).toEqual([['ops'], ['sales']]);
        const sales = (await (await fetch(`${again.url}/v1/namespaces/sales`)).json()) as {
          properties: unknown;
        };
        expect(sales.properties).toEqual({ owner: 'fin' });
        expect(readdirSync(path.join(first.dir, 'sales'))).toEqual(['.namespace.json']);
      } finally {
        await again.close();
      }
    } finally {
      await first.close().catch(() => {});
    }
  });
});
