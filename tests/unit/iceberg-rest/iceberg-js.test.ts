/**
 * iceberg-js 0.8.1 (an independent REST client) against our server: the namespace and table
 * routes have the shapes a third-party client expects.
 */
import { IcebergError, IcebergRestCatalog } from 'iceberg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fixture, serveTempCatalog } from './helpers.js';

const TOKEN = 'iceberg-js-token-abc';
let fx: Fixture;
let cat: IcebergRestCatalog;

beforeAll(async () => {
  fx = await serveTempCatalog({ token: TOKEN });
  cat = new IcebergRestCatalog({ baseUrl: fx.server.url, auth: { type: 'bearer', token: TOKEN } });
});
afterAll(() => fx?.close());

describe('iceberg-js against the Dativo REST catalog server', () => {
  it('creates, checks and lists namespaces', async () => {
    const created = await cat.createNamespace(
      { namespace: ['analytics'] },
      { properties: { owner: 'data' } },
    );
    expect(created).toEqual({ namespace: ['analytics'], properties: { owner: 'data' } });
    expect(await cat.namespaceExists({ namespace: ['analytics'] })).toBe(true);
    expect(await cat.namespaceExists({ namespace: ['missing'] })).toBe(false);
    expect(await cat.loadNamespaceMetadata({ namespace: ['analytics'] })).toEqual({
      properties: { owner: 'data' },
    });
    await cat.createNamespace({ namespace: ['analytics', 'raw'] });
    expect(await cat.listNamespaces()).toEqual([{ namespace: ['analytics'] }]);
    expect(await cat.listNamespaces({ namespace: ['analytics'] })).toEqual([
      { namespace: ['analytics', 'raw'] },
    ]);
    const dup = await cat.createNamespace({ namespace: ['analytics'] }).catch((e) => e);
    expect(dup).toBeInstanceOf(IcebergError);
    expect(dup.status).toBe(409);
    expect(dup.icebergType).toBe('AlreadyExistsException');
  });

  it('creates, loads and lists a table', async () => {
    const md = await cat.createTable(
      { namespace: ['analytics'] },
      {
        name: 'events',
        schema: {
          type: 'struct',
          'schema-id': 0,
          fields: [
            { id: 1, name: 'id', type: 'long', required: true },
            { id: 2, name: 'ts', type: 'timestamptz', required: false },
          ],
        },
        properties: { 'dativo.asset': 'events' },
      },
    );
    expect(md['format-version']).toBe(2);
    expect(md.location).toMatch(/\/analytics\/events$/);
    const loaded = await cat.loadTable({ namespace: ['analytics'], name: 'events' });
    expect(loaded['table-uuid']).toBe(md['table-uuid']);
    expect(loaded.properties['dativo.asset']).toBe('events');
    expect(loaded.schemas[0]?.fields.map((f) => `${f.id}:${f.name}:${String(f.type)}`)).toEqual([
      '1:id:long',
      '2:ts:timestamptz',
    ]);
    expect(await cat.tableExists({ namespace: ['analytics'], name: 'events' })).toBe(true);
    expect(await cat.tableExists({ namespace: ['analytics'], name: 'nope' })).toBe(false);
    expect(await cat.listTables({ namespace: ['analytics'] })).toEqual([
      { namespace: ['analytics'], name: 'events' },
    ]);
  });

  it('gets the error model back for a missing table and a missing token', async () => {
    const missing = await cat.loadTable({ namespace: ['analytics'], name: 'nope' }).catch((e) => e);
    expect(missing.status).toBe(404);
    expect(missing.icebergType).toBe('NoSuchTableException');
    expect(missing.message).toBe('table does not exist: analytics.nope');
    const anon = new IcebergRestCatalog({ baseUrl: fx.server.url });
    const denied = await anon.listNamespaces().catch((e) => e);
    expect(denied.status).toBe(401);
  });
});
