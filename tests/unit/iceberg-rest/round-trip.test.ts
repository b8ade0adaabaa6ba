/**
 * The REST client against the REST server, backed by the filesystem catalog: create, load,
 * commit, conflicts, requirement failures, exact 64-bit ids, concurrent appends, prefixes and
 * multi-level namespaces.
 */
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DativoError } from '../../../host/errors.js';
import { CommitConflictError } from '../../../host/iceberg/catalog.js';
import { newSnapshotId } from '../../../host/iceberg/metadata.js';
import { createRestCatalog, type RestCatalog } from '../../../host/iceberg/rest/client.js';
import { appendCommit, type Fixture, ident, SCHEMA, serveTempCatalog } from './helpers.js';

let fx: Fixture;
let client: RestCatalog;
const sent: string[] = [];
const received: string[] = [];

beforeAll(async () => {
  fx = await serveTempCatalog();
  // record the raw wire text both ways, to check the 64-bit literals themselves
  const recording: typeof fetch = async (input, init) => {
    if (typeof init?.body === 'string') sent.push(init.body);
    const res = await fetch(input, init);
    const text = await res.clone().text();
    received.push(text);
    return res;
  };
  client = createRestCatalog({ uri: fx.server.url, fetch: recording });
});
afterAll(() => fx?.close());

describe('REST catalog round trip', () => {
  it('creates, loads and commits a table; the files land in the filesystem catalog', async () => {
    const id = ident('people');
    const created = await client.createTable(id, {
      name: 'people',
      schema: SCHEMA,
      properties: { owner: 'a' },
    });
    expect(created.metadataLocation).toMatch(/\/db\/people\/metadata\/v1\.metadata\.json$/);
    expect(created.metadata['format-version']).toBe(2);
    expect(created.metadata.properties.owner).toBe('a');
    expect(created.metadata.schemas[0]?.fields.map((f) => f.name)).toEqual(['id', 'name']);

    const loaded = await client.loadTable(id);
    expect(loaded?.metadata['table-uuid']).toBe(created.metadata['table-uuid']);
    expect(loaded?.metadata['current-snapshot-id']).toBeUndefined();

    const { requirements, updates } = appendCommit(created.metadata, 4242n, 'run-1');
    const committed = await client.commitTable(id, requirements, updates);
    expect(committed.metadataLocation).toMatch(/v2\.metadata\.json$/);
    expect(committed.metadata['current-snapshot-id']).toBe(4242n);
    expect(committed.metadata.snapshots[0]?.summary['dativo.run-id']).toBe('run-1');
    const files = await readdir(path.join(fx.dir, 'db/people/metadata'));
    expect(files.filter((f) => f.endsWith('.metadata.json')).sort()).toEqual([
      'v1.metadata.json',
      'v2.metadata.json',
    ]);
  });

  it('keeps snapshot ids above 2^53 exact on the wire, in the catalog and after reload', async () => {
    const id = ident('bigids');
    const t = await client.createTable(id, { name: 'bigids', schema: SCHEMA });
    const first = 9_223_372_036_854_775_806n; // 2^63 - 2: JSON.parse would round it to 2^63
    const second = 9_007_199_254_740_993n; // 2^53 + 1
    const c1 = await client.commitTable(id, ...args(appendCommit(t.metadata, first, 'r1')));
    const c2 = await client.commitTable(id, ...args(appendCommit(c1.metadata, second, 'r2')));
    expect(c2.metadata['current-snapshot-id']).toBe(second);
    expect(c2.metadata.snapshots[1]?.['parent-snapshot-id']).toBe(first);

    const reloaded = await client.loadTable(id);
    expect(reloaded?.metadata.snapshots.map((s) => s['snapshot-id'])).toEqual([first, second]);
    expect(reloaded?.metadata.refs.main?.['snapshot-id']).toBe(second);
    expect(reloaded?.metadata['snapshot-log'].map((e) => e['snapshot-id'])).toEqual([first, second]);

    expect(sent.some((b) => b.includes('"snapshot-id":9223372036854775806'))).toBe(true);
    expect(sent.some((b) => b.includes('"parent-snapshot-id":9223372036854775806'))).toBe(true);
    expect(received.some((b) => b.includes('"current-snapshot-id":9007199254740993'))).toBe(true);
    const onDisk = await readFile(path.join(fx.dir, 'db/bigids/metadata/v3.metadata.json'), 'utf8');
    expect(onDisk).toContain('9223372036854775806');
    expect(onDisk).toContain('9007199254740993');
  });

  it('answers undefined for a table that does not exist', async () => {
    expect(await client.loadTable(ident('nope'))).toBeUndefined();
    expect(await client.loadTable(ident('nope', 'no', 'such'))).toBeUndefined();
  });

  it('refuses to create a table twice (409 → CommitConflictError)', async () => {
    await client.createTable(ident('twice'), { name: 'twice', schema: SCHEMA });
    const err = await client.createTable(ident('twice'), { name: 'twice', schema: SCHEMA }).catch((e) => e);
    expect(err).toBeInstanceOf(CommitConflictError);
    expect(err.message).toContain('HTTP 409 AlreadyExistsException: table already exists: db.twice');
  });

  it('turns a lost race into CommitConflictError and leaves the table at the winner', async () => {
    const id = ident('race');
    const t = await client.createTable(id, { name: 'race', schema: SCHEMA });
    await client.commitTable(id, ...args(appendCommit(t.metadata, 11n, 'winner')));
    // the loser built its commit from the same (stale) metadata
    const err = await client.commitTable(id, ...args(appendCommit(t.metadata, 12n, 'loser'))).catch((e) => e);
    expect(err).toBeInstanceOf(CommitConflictError);
    expect(err.message).toContain('HTTP 409 CommitFailedException');
    expect(err.message).toContain('branch main is at snapshot 11, expected none');
    const now = await client.loadTable(id);
    expect(now?.metadata.snapshots.map((s) => s.summary['dativo.run-id'])).toEqual(['winner']);
  });

  it('fails each kind of requirement with 409 and changes nothing', async () => {
    const id = ident('reqs');
    const t = await client.createTable(id, { name: 'reqs', schema: SCHEMA });
    const noop = [{ action: 'set-properties' as const, updates: { touched: 'yes' } }];
    const cases = [
      [{ type: 'assert-table-uuid' as const, uuid: '00000000-0000-0000-0000-000000000000' }, 'table uuid is'],
      [
        { type: 'assert-current-schema-id' as const, 'current-schema-id': 7 },
        'current schema is 0, expected 7',
      ],
      [
        { type: 'assert-last-assigned-field-id' as const, 'last-assigned-field-id': 9 },
        'last column id is 2',
      ],
      [{ type: 'assert-default-spec-id' as const, 'default-spec-id': 3 }, 'default spec is 0, expected 3'],
      [{ type: 'assert-ref-snapshot-id' as const, ref: 'main', 'snapshot-id': 5n }, 'expected 5'],
      [{ type: 'assert-create' as const }, 'table already exists'],
    ] as const;
    for (const [req, text] of cases) {
      const err = await client.commitTable(id, [req], noop).catch((e) => e);
      expect(err, req.type).toBeInstanceOf(CommitConflictError);
      expect(err.message, req.type).toContain(text);
    }
    const after = await client.loadTable(id);
    expect(after?.metadata.properties.touched).toBeUndefined();
    expect(after?.metadataLocation).toBe(t.metadataLocation);
  });

  it('reports an invalid update as COMMIT_FAILED with the status and the server message', async () => {
    const id = ident('badupdate');
    await client.createTable(id, { name: 'badupdate', schema: SCHEMA });
    const err = await client
      .commitTable(
        id,
        [],
        [{ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 99n }],
      )
      .catch((e) => e);
    expect(err).toBeInstanceOf(DativoError);
    expect(err.code).toBe('COMMIT_FAILED');
    expect(err.details).toEqual({ status: 400, type: 'BadRequestException' });
    expect(err.message).toContain('set-snapshot-ref: no snapshot 99');
  });

  it('answers a commit to a missing table with 404', async () => {
    const err = await client
      .commitTable(ident('ghost'), [], [{ action: 'set-properties', updates: { a: 'b' } }])
      .catch((e) => e);
    expect(err).toBeInstanceOf(DativoError);
    expect(err.details?.status).toBe(404);
    expect(err.message).toContain('NoSuchTableException: table does not exist: db.ghost');
  });

  it('refuses names that would escape the warehouse', async () => {
    const err = await client.createTable(ident('..'), { name: '..', schema: SCHEMA }).catch((e) => e);
    expect(err).toBeInstanceOf(DativoError);
    expect(err.details?.status).toBe(400);
    expect(err.message).toContain('invalid name ".."');
  });

  it('creates multi-level namespaces level by level and finds tables in them', async () => {
    const id = ident('deep', 'sales', 'emea', 'raw');
    await client.createTable(id, { name: 'deep', schema: SCHEMA });
    const t = await client.loadTable(id);
    expect(t?.metadataLocation).toMatch(/\/sales\/emea\/raw\/deep\/metadata\/v1\.metadata\.json$/);
    // the unit separator travels percent-encoded in one path segment
    expect(sent.some((b) => b.includes('"namespace":["sales","emea"]'))).toBe(true);
  });

  it('lands every one of 6 concurrent appends (reload and retry on conflict)', async () => {
    const id = ident('concurrent');
    await client.createTable(id, { name: 'concurrent', schema: SCHEMA });
    const append = async (runId: string) => {
      // each writer has its own client, as separate processes would
      const c = createRestCatalog({ uri: fx.server.url });
      for (let attempt = 0; attempt < 20; attempt++) {
        const cur = await c.loadTable(id);
        if (!cur) throw new Error('table vanished');
        try {
          await c.commitTable(id, ...args(appendCommit(cur.metadata, newSnapshotId(), runId)));
          return;
        } catch (e) {
          if (!(e instanceof CommitConflictError)) throw e;
        }
      }
      throw new Error(`${runId} never committed`);
    };
    const runs = Array.from({ length: 6 }, (_, i) => `run-${i}`);
    await Promise.all(runs.map(append));
    const t = await client.loadTable(id);
    const md = t?.metadata;
    expect(md?.snapshots.map((s) => s.summary['dativo.run-id']).sort()).toEqual(runs);
    expect(md?.snapshots.map((s) => s['sequence-number'])).toEqual([1, 2, 3, 4, 5, 6]);
    // one linear history: each snapshot's parent is the one before it
    md?.snapshots.slice(1).forEach((s, i) => {
      expect(s['parent-snapshot-id']).toBe(md.snapshots[i]?.['snapshot-id']);
    });
  });
});

describe('config endpoint', () => {
  it('follows the prefix the server announces in /v1/config overrides', async () => {
    const pfx = await serveTempCatalog({ prefix: 'wh1', defaults: { 'write.format.default': 'parquet' } });
    try {
      const paths: string[] = [];
      const c = createRestCatalog({
        uri: `${pfx.server.url}/`,
        warehouse: 's3://ignored',
        fetch: (input, init) => {
          paths.push(new URL(String(input)).pathname);
          return fetch(input, init);
        },
      });
      await c.createTable(ident('t'), { name: 't', schema: SCHEMA });
      expect((await c.loadTable(ident('t')))?.metadata['format-version']).toBe(2);
      expect(await c.config()).toEqual({
        'write.format.default': 'parquet',
        warehouse: 's3://ignored',
        prefix: 'wh1',
      });
      expect(paths[0]).toBe('/v1/config');
      expect(paths.slice(1).every((p) => p.startsWith('/v1/wh1/namespaces'))).toBe(true);
      // without the prefix the routes are not there
      const bare = await fetch(`${pfx.server.url}/v1/namespaces/db/tables/t`);
      expect(bare.status).toBe(404);
    } finally {
      await pfx.close();
    }
  });
});

function args(c: ReturnType<typeof appendCommit>) {
  return [c.requirements, c.updates] as const;
}
