/**
 * Metadata other engines rely on, written by the iceberg sink and checked with readers we did
 * not write: column_sizes against DuckDB's view of the Parquet footer, the version hint as Java
 * writes it, all-DELETED manifests dropped from later snapshots (manifest lists read with avsc,
 * the table with icebird), and a nested schema evolved from a REST client and from a run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Int64, TimestampMicrosecond, Utf8 } from 'apache-arrow';
import { icebergRead } from 'icebird';
import { describe, expect, it } from 'vitest';
import { fieldIds } from '../../../host/iceberg/field-ids.js';
import { createFilesystemCatalog, fileWarehouseUri } from '../../../host/iceberg/fs-catalog.js';
import { readManifestList, writeManifestList } from '../../../host/iceberg/manifest.js';
import { currentSchema, parseTableMetadata } from '../../../host/iceberg/metadata.js';
import { startRestCatalogServer } from '../../../host/iceberg/rest/server.js';
import { createIcebergSink } from '../../../host/sinks/iceberg/index.js';
import { createLocalStore } from '../../../host/sinks/store/local.js';
import { REPO } from '../../helpers/cli.js';
import { duck } from '../../helpers/duckdb.js';
import { decodeIndependently } from './avsc-reader.js';
import {
  batchOf,
  ctx,
  icebergJob,
  int64Data,
  people,
  sharedEncoderWithFileFetch,
  tempDir,
  tsData,
  utf8Data,
} from './helpers.js';

const encoder = sharedEncoderWithFileFetch();

type Batch = ReturnType<typeof people>;

async function run(wh: string, runId: string, batches: Batch[], job = icebergJob(wh)) {
  const sink = await createIcebergSink(job, { runId, kvMetadata: {} }, { encoder });
  await sink.open(ctx(runId));
  for (const b of batches) await sink.write(b);
  return sink.commit({ state: {} });
}

const metaDir = (wh: string, ns = 'sales', name = 'people') => path.join(wh, ns, name, 'metadata');
function latest(wh: string, ns = 'sales', name = 'people') {
  const v = readFileSync(path.join(metaDir(wh, ns, name), 'version-hint.text'), 'utf8').trim();
  return parseTableMetadata(readFileSync(path.join(metaDir(wh, ns, name), `v${v}.metadata.json`), 'utf8'));
}
const avroAt = (uri: string) => decodeIndependently(readFileSync(fileURLToPath(uri)));

type ListRow = { manifest_path: string };
type Entry = { data_file: { file_path: string; column_sizes: { key: number; value: bigint }[] | null } };

describe('statistics and metadata files', () => {
  it('writes column_sizes per field id equal to the compressed bytes in the Parquet footer', async () => {
    const wh = tempDir('dativo-ice-cs-');
    await run(wh, 'run-cs-1', [people([1, 2, 3, 4])]);
    const snap = latest(wh).snapshots[0];
    const list = (await avroAt(snap?.['manifest-list'] as string)).rows as ListRow[];
    const entries = (await avroAt(list[0]?.manifest_path as string)).rows as Entry[];
    const df = (entries[0] as Entry).data_file;
    const sizes = Object.fromEntries((df.column_sizes ?? []).map((e) => [e.key, Number(e.value)]));
    const footer = await duck<{ col: string; bytes: bigint }>(
      `SELECT path_in_schema AS col, sum(total_compressed_size) AS bytes
         FROM parquet_metadata('${fileURLToPath(df.file_path)}') GROUP BY 1`,
    );
    const byName = Object.fromEntries(footer.map((r) => [r.col, Number(r.bytes)]));
    expect(Object.keys(sizes).map(Number)).toEqual([1, 2]);
    expect(sizes).toEqual({ 1: byName.id, 2: byName.name });
    expect(sizes[1]).toBeGreaterThan(0);
  });

  it('writes version-hint.text as the bare number and still reads a hint with a newline', async () => {
    const wh = tempDir('dativo-ice-hint-');
    await run(wh, 'run-h-1', [people([1])]);
    const hint = path.join(metaDir(wh), 'version-hint.text');
    expect(readFileSync(hint, 'utf8')).toBe('2');
    writeFileSync(hint, '2\n'); // as older writers left it
    const fs = createFilesystemCatalog({ store: createLocalStore(wh), warehouse: fileWarehouseUri(wh) });
    const loaded = await fs.loadTable({ namespace: ['sales'], name: 'people' });
    expect(loaded?.metadataLocation).toMatch(/\/v2\.metadata\.json$/);
    await run(wh, 'run-h-2', [people([2])]);
    expect(readFileSync(hint, 'utf8')).toBe('3');
  });

  it('drops a manifest whose entries are all DELETED from the next snapshot', async () => {
    const wh = tempDir('dativo-ice-del-');
    await run(wh, 'run-d-1', [people([1, 2, 3])]);
    const md = latest(wh);
    const s1 = md.snapshots[0] as NonNullable<(typeof md.snapshots)[0]>;
    // A delete snapshot (as another engine writes it): run 1's manifest, now all DELETED.
    const [m1] = readManifestList(readFileSync(fileURLToPath(s1['manifest-list'])));
    if (!m1) throw new Error('no manifest');
    const deleted = {
      ...m1,
      added_files_count: 0,
      added_rows_count: 0n,
      deleted_files_count: 1,
      deleted_rows_count: 3n,
    };
    const s2 = 777n;
    const listPath = `${md.location}/metadata/snap-777-delete.avro`;
    writeFileSync(
      fileURLToPath(listPath),
      writeManifestList([deleted], {
        snapshotId: s2,
        parentSnapshotId: s1['snapshot-id'],
        sequenceNumber: 2n,
      }),
    );
    const fs = createFilesystemCatalog({ store: createLocalStore(wh), warehouse: fileWarehouseUri(wh) });
    await fs.commitTable(
      { namespace: ['sales'], name: 'people' },
      [],
      [
        {
          action: 'add-snapshot',
          snapshot: {
            'snapshot-id': s2,
            'parent-snapshot-id': s1['snapshot-id'],
            'sequence-number': 2,
            'timestamp-ms': Date.now(),
            'manifest-list': listPath,
            summary: { operation: 'delete' },
          },
        },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': s2 },
      ],
    );
    await run(wh, 'run-d-2', [people([7, 8])]);
    const s3 = latest(wh).snapshots.at(-1);
    const paths = ((await avroAt(s3?.['manifest-list'] as string)).rows as ListRow[]).map(
      (r) => r.manifest_path,
    );
    expect(paths).toHaveLength(1);
    expect(paths).not.toContain(m1.manifest_path);
    const rows = await icebergRead({ tableUrl: `${pathToFileURL(wh).href}/sales/people` });
    expect(rows.map((r) => Number(r.id)).sort()).toEqual([7, 8]);
  });
});

/** Serve `wh` over REST while `body` runs (the client side of a test). */
async function withServer(
  wh: string,
  body: (post: (url: string, fixture: string) => Promise<Response>) => Promise<void>,
) {
  const fs = createFilesystemCatalog({ store: createLocalStore(wh), warehouse: fileWarehouseUri(wh) });
  const server = await startRestCatalogServer({ catalog: fs });
  const fixture = (n: string) => readFileSync(path.join(REPO, 'tests/fixtures/iceberg-rest', n), 'utf8');
  try {
    await body((url, name) =>
      fetch(`${server.url}/v1/namespaces/spec/${url}`, { method: 'POST', body: fixture(name) }),
    );
  } finally {
    await server.close();
  }
}

describe('nested schema evolution', () => {
  it('a run adding a column to a table created with nested columns gives it a fresh id', async () => {
    const wh = tempDir('dativo-ice-nested0-');
    await withServer(wh, async (post) => {
      const created = await post('tables', 'create-table-nested.json');
      expect(
        ((await created.json()) as { metadata: { 'last-column-id': number } }).metadata['last-column-id'],
      ).toBe(9);
    });
    const batch = batchOf([
      { name: 'id', type: new Int64(), nullable: false, data: int64Data([5]) },
      { name: 'segment', type: new Utf8(), data: utf8Data(['smb']) },
    ]);
    await run(wh, 'run-n-0', [batch], icebergJob(wh, { domain: 'spec', name: 'customers' }));
    const md = latest(wh, 'spec', 'customers');
    const ids = fieldIds(currentSchema(md));
    expect(currentSchema(md).fields.find((f) => f.name === 'segment')?.id).toBe(10);
    expect(new Set(ids).size).toBe(ids.length);
    expect(md['last-column-id']).toBe(10);
  });

  it('keeps every field id unique when a REST client and a run both add columns to a struct/list/map table', async () => {
    const wh = tempDir('dativo-ice-nested-');
    await withServer(wh, async (post) => {
      expect((await post('tables', 'create-table-nested.json')).status).toBe(200);
      expect((await post('tables/customers', 'add-schema-without-last-column-id.json')).status).toBe(200);
    });
    const job = icebergJob(wh, { domain: 'spec', name: 'customers' });
    const batch = batchOf([
      { name: 'id', type: new Int64(), nullable: false, data: int64Data([1, 2]) },
      { name: 'email', type: new Utf8(), data: utf8Data(['a@x', 'b@x']) },
      { name: 'segment', type: new Utf8(), data: utf8Data(['smb', 'ent']) },
    ]);
    await run(wh, 'run-n-1', [batch], job);

    const md = latest(wh, 'spec', 'customers');
    const schema = currentSchema(md);
    const ids = fieldIds(schema);
    expect(new Set(ids).size).toBe(ids.length);
    expect(schema.fields.find((f) => f.name === 'segment')?.id).toBe(11);
    expect(md['last-column-id']).toBe(11);
    expect(md['last-column-id']).toBeGreaterThanOrEqual(Math.max(...ids));
    const rows = await icebergRead({ tableUrl: `${pathToFileURL(wh).href}/spec/customers` });
    expect(rows.map((r) => [Number(r.id), r.email, r.segment])).toEqual([
      [1, 'a@x', 'smb'],
      [2, 'b@x', 'ent'],
    ]);
  });
});

describe('timestamp zone drift', () => {
  const tsBatch = (ids: number[], values: string[], utc: boolean) =>
    batchOf([
      { name: 'id', type: new Int64(), nullable: false, data: int64Data(ids) },
      { name: 'ts', type: new TimestampMicrosecond(utc ? 'UTC' : null), data: tsData(values, utc) },
    ]);
  const jobWith = (wh: string, utc: boolean | 'auto') => {
    const job = icebergJob(wh, { domain: 'drift', name: 'events' });
    (job.contract as { fields: unknown[] }).fields = [
      { name: 'id', required: true, type: { kind: 'int64' } },
      { name: 'ts', required: false, type: { kind: 'timestamp', utc } },
    ];
    return job;
  };

  it('a detected zone that flips between runs follows the table; the instants are kept', async () => {
    const wh = tempDir('dativo-ice-drift-');
    await run(wh, 'run-z-1', [tsBatch([1], ['2024-03-01T10:00:00Z'], true)], jobWith(wh, 'auto'));
    await run(wh, 'run-z-2', [tsBatch([2], ['2024-03-02T11:30:00'], false)], jobWith(wh, 'auto'));
    const md = latest(wh, 'drift', 'events');
    expect(currentSchema(md).fields.find((f) => f.name === 'ts')?.type).toBe('timestamptz');
    expect(md.snapshots).toHaveLength(2);
    const rows = await icebergRead({ tableUrl: `${pathToFileURL(wh).href}/drift/events` });
    const byId = Object.fromEntries(rows.map((r) => [Number(r.id), new Date(r.ts as Date).toISOString()]));
    expect(byId).toEqual({ 1: '2024-03-01T10:00:00.000Z', 2: '2024-03-02T11:30:00.000Z' });
    const files = await duck<{ t: string }>(
      `SELECT DISTINCT logical_type AS t FROM parquet_schema('${wh}/drift/events/data/*.parquet') WHERE name = 'ts'`,
    );
    expect(files).toHaveLength(1); // both files carry the table's (UTC-adjusted) type
  });

  it("a zone the contract states against the table's fails naming the column and how to evolve; zero rows commit", async () => {
    const wh = tempDir('dativo-ice-drift2-');
    await run(wh, 'run-y-1', [tsBatch([1], ['2024-03-01T10:00:00Z'], true)], jobWith(wh, 'auto'));
    const err = await run(
      wh,
      'run-y-2',
      [tsBatch([2], ['2024-03-02T11:30:00'], false)],
      jobWith(wh, false),
    ).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(
      'column ts is timestamp in the contract but timestamptz in Iceberg table drift.events',
    );
    expect((err as Error).message).toContain('physicalType timestamptz');
    // the same contract with no rows is a no-op for the data, and the state still commits
    await run(wh, 'run-y-3', [], jobWith(wh, false));
    const md = latest(wh, 'drift', 'events');
    expect(md.snapshots.at(-1)?.summary['added-records']).toBe('0');
    expect(md.snapshots.at(-1)?.summary['total-records']).toBe('1');
    expect(currentSchema(md).fields.map((f) => [f.name, f.type])).toEqual([
      ['id', 'long'],
      ['ts', 'timestamptz'],
    ]);
  });
});
