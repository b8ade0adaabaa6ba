/** Metadata JSON with exact 64-bit ids, the commit model (requirements/updates) and the filesystem catalog. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommitConflictError } from '../../../host/iceberg/catalog.js';
import { createFilesystemCatalog, fileWarehouseUri } from '../../../host/iceberg/fs-catalog.js';
import { parseJson, stringifyJson } from '../../../host/iceberg/json.js';
import {
  newTableMetadata,
  parseTableMetadata,
  type Snapshot,
  serializeTableMetadata,
} from '../../../host/iceberg/metadata.js';
import { applyUpdates } from '../../../host/iceberg/updates.js';
import { createLocalStore } from '../../../host/sinks/store/local.js';
import { tempDir } from './helpers.js';

const BIG = 9007199254740993n; // 2^53 + 1: JSON.parse would make it ...992

const schema = {
  type: 'struct' as const,
  'schema-id': 0,
  fields: [{ id: 1, name: 'id', required: true, type: 'long' }],
};

const snap = (id: bigint, seq: number, parent?: bigint): Snapshot => ({
  'snapshot-id': id,
  ...(parent !== undefined ? { 'parent-snapshot-id': parent } : {}),
  'sequence-number': seq,
  'timestamp-ms': 1_700_000_000_000 + seq,
  'manifest-list': `s3://b/t/metadata/snap-${id}.avro`,
  summary: { operation: 'append' },
});

describe('bigint-safe JSON', () => {
  it('keeps integers above 2^53 exact, both ways', () => {
    const v = parseJson(`{"a": ${BIG}, "b": 1.5, "c": [1, -2, "x\\n"], "d": null, "e": true}`);
    expect(v).toEqual({ a: BIG, b: 1.5, c: [1, -2, 'x\n'], d: null, e: true });
    expect(stringifyJson(v)).toBe(`{"a":${BIG},"b":1.5,"c":[1,-2,"x\\n"],"d":null,"e":true}`);
    expect(BigInt(JSON.parse(`{"a": ${BIG}}`).a)).not.toBe(BIG); // the trap this avoids
  });
  it('rejects malformed JSON with an offset', () => {
    expect(() => parseJson('{"a": }')).toThrow(/offset/);
    expect(() => parseJson('[1, 2')).toThrow(SyntaxError);
  });
  it('metadata round-trips snapshot ids, refs and logs as bigint', () => {
    let md = newTableMetadata({ location: 's3://b/t', schema });
    md = applyUpdates(
      md,
      [],
      [
        { action: 'add-snapshot', snapshot: snap(BIG, 1) },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': BIG },
      ],
    );
    const text = serializeTableMetadata(md);
    expect(text).toContain(`"current-snapshot-id": ${BIG}`);
    const back = parseTableMetadata(text);
    expect(back['current-snapshot-id']).toBe(BIG);
    expect(back.refs.main?.['snapshot-id']).toBe(BIG);
    expect(back['snapshot-log'][0]?.['snapshot-id']).toBe(BIG);
    expect(back).toEqual(md);
  });
});

describe('applyUpdates', () => {
  const base = () => newTableMetadata({ location: 's3://b/t', schema, tableUuid: 'u-1' });

  it('assert-ref-snapshot-id: null means "no main yet"; a moved branch is a conflict', () => {
    const md = applyUpdates(
      base(),
      [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
      [
        { action: 'add-snapshot', snapshot: snap(5n, 1) },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 5n },
      ],
    );
    expect(md['last-sequence-number']).toBe(1);
    expect(() =>
      applyUpdates(md, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }], []),
    ).toThrow(CommitConflictError);
    expect(() => applyUpdates(md, [{ type: 'assert-table-uuid', uuid: 'other' }], [])).toThrow(/table uuid/);
    // a stale sequence number is a conflict too (the writer must rebase)
    expect(() => applyUpdates(md, [], [{ action: 'add-snapshot', snapshot: snap(6n, 1, 5n) }])).toThrow(
      CommitConflictError,
    );
  });

  it('add-schema + set-current-schema -1 selects the added schema and raises last-column-id', () => {
    const md = applyUpdates(
      base(),
      [{ type: 'assert-current-schema-id', 'current-schema-id': 0 }],
      [
        {
          action: 'add-schema',
          schema: {
            ...schema,
            fields: [...schema.fields, { id: 2, name: 'x', required: false, type: 'string' }],
          },
        },
        { action: 'set-current-schema', 'schema-id': -1 },
        { action: 'set-properties', updates: { k: 'v' } },
      ],
    );
    expect(md['current-schema-id']).toBe(1);
    expect(md['last-column-id']).toBe(2);
    expect(md.properties.k).toBe('v');
    expect(() =>
      applyUpdates(md, [{ type: 'assert-current-schema-id', 'current-schema-id': 0 }], []),
    ).toThrow(/current schema is 1/);
  });

  it('does not modify its input', () => {
    const md = base();
    const copy = structuredClone(md);
    applyUpdates(md, [], [{ action: 'set-properties', updates: { a: 'b' } }]);
    expect(md).toEqual(copy);
  });
});

describe('filesystem catalog', () => {
  const setup = () => {
    const dir = tempDir('dativo-fscat-');
    const store = createLocalStore(dir);
    return { dir, catalog: createFilesystemCatalog({ store, warehouse: fileWarehouseUri(dir) }) };
  };
  const id = { namespace: ['db'], name: 't' };

  it('creates v1 with a version hint; a second create conflicts', async () => {
    const { dir, catalog } = setup();
    const t = await catalog.createTable(id, { name: 't', schema });
    expect(t.metadataLocation).toBe(`${fileWarehouseUri(dir)}/db/t/metadata/v1.metadata.json`);
    expect(fs.readFileSync(path.join(dir, 'db/t/metadata/version-hint.text'), 'utf8').trim()).toBe('1');
    await expect(catalog.createTable(id, { name: 't', schema })).rejects.toBeInstanceOf(CommitConflictError);
    expect(await catalog.listTables(['db'])).toEqual([id]);
    expect(await catalog.loadTable({ namespace: ['db'], name: 'nope' })).toBeUndefined();
  });

  it('of two commits built on the same version, both land when their requirements allow it', async () => {
    const { catalog } = setup();
    await catalog.createTable(id, { name: 't', schema });
    const [a, b] = await Promise.all([
      catalog.commitTable(id, [], [{ action: 'set-properties', updates: { a: '1' } }]),
      catalog.commitTable(id, [], [{ action: 'set-properties', updates: { b: '2' } }]),
    ]);
    expect([a.metadataLocation, b.metadataLocation].sort()).toEqual([
      expect.stringMatching(/v2\.metadata\.json$/),
      expect.stringMatching(/v3\.metadata\.json$/),
    ]);
    const t = await catalog.loadTable(id);
    expect(t?.metadata.properties).toMatchObject({ a: '1', b: '2' });
    expect(t?.metadata['metadata-log']).toHaveLength(2);
  });

  it('of two appends asserting the same main, exactly one lands; the other gets a conflict', async () => {
    const { catalog } = setup();
    await catalog.createTable(id, { name: 't', schema });
    const commit = (sid: bigint) =>
      catalog.commitTable(
        id,
        [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
        [
          { action: 'add-snapshot', snapshot: snap(sid, 1) },
          { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': sid },
        ],
      );
    const results = await Promise.allSettled([commit(11n), commit(12n)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(CommitConflictError);
    const t = await catalog.loadTable(id);
    expect(t?.metadata.snapshots).toHaveLength(1);
  });

  it('a lagging version hint is probed past', async () => {
    const { dir, catalog } = setup();
    await catalog.createTable(id, { name: 't', schema });
    await catalog.commitTable(id, [], [{ action: 'set-properties', updates: { a: '1' } }]);
    fs.writeFileSync(path.join(dir, 'db/t/metadata/version-hint.text'), '1\n');
    const t = await catalog.loadTable(id);
    expect(t?.metadataLocation).toMatch(/v2\.metadata\.json$/);
  });
});
