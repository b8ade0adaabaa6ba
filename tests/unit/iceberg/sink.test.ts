/**
 * The iceberg sink on a local warehouse (filesystem catalog), read back by independent readers:
 * icebird for the table, DuckDB for the Parquet field ids.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Float64, Int64, TimestampMicrosecond, Utf8 } from 'apache-arrow';
import { icebergManifests, icebergMetadata, icebergRead } from 'icebird';
import { describe, expect, it } from 'vitest';
import { parseTableMetadata } from '../../../host/iceberg/metadata.js';
import { hashValue } from '../../../host/iceberg/transforms.js';
import { SimulatedCrash } from '../../../host/sinks/file-sink.js';
import { createIcebergSink } from '../../../host/sinks/iceberg/index.js';
import { duck } from '../../helpers/duckdb.js';
import {
  batchOf,
  ctx,
  float64Data,
  icebergJob,
  int64Data,
  isoMicros,
  people,
  sharedEncoderWithFileFetch,
  tempDir,
  tsData,
  utf8Data,
} from './helpers.js';

const encoder = sharedEncoderWithFileFetch();

const settings = (runId: string) => ({
  runId,
  kvMetadata: { 'dativo.asset.name': 'People', 'dativo.finops.cost_center': 'cc-1' },
});

async function run(
  warehouse: string,
  runId: string,
  batches: ReturnType<typeof people>[],
  state: Record<string, unknown>,
  jobOpts: Parameters<typeof icebergJob>[1] = {},
  extra: Parameters<typeof createIcebergSink>[2] = {},
) {
  const sink = await createIcebergSink(icebergJob(warehouse, jobOpts), settings(runId), {
    encoder,
    ...extra,
  });
  const recovery = await sink.open(ctx(runId));
  for (const b of batches) await sink.write(b);
  const result = await sink.commit({ state });
  return { sink, recovery, result };
}

function tableUrl(warehouse: string, ns = 'sales', name = 'people'): string {
  return `${pathToFileURL(warehouse).href}/${ns}/${name}`;
}

function latestMetadata(warehouse: string, ns = 'sales', name = 'people') {
  const dir = path.join(warehouse, ns, name, 'metadata');
  const v = fs.readFileSync(path.join(dir, 'version-hint.text'), 'utf8').trim();
  return parseTableMetadata(fs.readFileSync(path.join(dir, `v${v}.metadata.json`), 'utf8'));
}

describe('iceberg sink: append and read back', () => {
  it('writes a v2 table icebird reads with the exact rows; summary carries run id and state', async () => {
    const wh = tempDir('dativo-ice-');
    const { recovery, result } = await run(wh, 'run-0001', [people([1, 2, 3]), people([4, 5])], {
      cursor: 5,
    });
    expect(recovery.latest).toBeUndefined();
    expect(result.record.rows).toBe(5);
    expect(result.record.state).toEqual({ cursor: 5 });

    const rows = await icebergRead({ tableUrl: tableUrl(wh) });
    expect(rows.map((r) => [r.id, r.name]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(
      [1, 2, 3, 4, 5].map((i) => [BigInt(i), `name-${i}`]),
    );

    const md = latestMetadata(wh);
    expect(md['format-version']).toBe(2);
    expect(md.schemas[0]?.fields).toEqual([
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'name', required: false, type: 'string' },
    ]);
    const snap = md.snapshots[0];
    expect(typeof snap?.['snapshot-id']).toBe('bigint');
    expect(md.refs.main?.['snapshot-id']).toBe(snap?.['snapshot-id']);
    expect(snap?.summary).toMatchObject({
      operation: 'append',
      'added-data-files': '1',
      'added-records': '5',
      'total-records': '5',
      'dativo.run-id': 'run-0001',
      'dativo.state': '{"cursor":5}',
      'dativo.job': 'job-a',
      'dativo.tenant': 'acme',
    });
    // tags as spec §6 table properties
    expect(md.properties).toMatchObject({ 'asset.name': 'People', 'finops.cost_center': 'cc-1' });

    // icebird's own view of the metadata agrees
    const ibMeta = await icebergMetadata({ tableUrl: tableUrl(wh) });
    expect(ibMeta['format-version']).toBe(2);
    const manifests = await icebergManifests(ibMeta);
    expect(manifests).toHaveLength(1);
    const entry = manifests[0]?.entries[0];
    expect(entry?.status).toBe(1);
    expect(entry?.data_file.record_count).toBe(5n);

    // Parquet field ids, checked by DuckDB
    const file = entry?.data_file.file_path.replace('file://', '') as string;
    const schema = await duck<{ name: string; field_id: number | null }>(
      `SELECT name, field_id::INT AS field_id FROM parquet_schema('${file}') WHERE field_id IS NOT NULL ORDER BY field_id`,
    );
    expect(schema).toEqual([
      { name: 'id', field_id: 1 },
      { name: 'name', field_id: 2 },
    ]);
  });

  it('a second run appends; open() recovers the latest state from the table', async () => {
    const wh = tempDir('dativo-ice-');
    await run(wh, 'run-0001', [people([1, 2])], { cursor: 2 });
    const { recovery, result } = await run(wh, 'run-0002', [people([3])], { cursor: 3 });
    expect(recovery.latest?.runId).toBe('run-0001');
    expect(recovery.latest?.state).toEqual({ cursor: 2 });
    expect(result.record.runId).toBe('run-0002');
    const md = latestMetadata(wh);
    expect(md.snapshots).toHaveLength(2);
    expect(md.snapshots[1]?.['parent-snapshot-id']).toBe(md.snapshots[0]?.['snapshot-id']);
    expect(md.snapshots[1]?.summary['total-records']).toBe('3');
    expect(md['snapshot-log']).toHaveLength(2);
    expect(md['metadata-log'].length).toBeGreaterThanOrEqual(2);
    const rows = await icebergRead({ tableUrl: tableUrl(wh) });
    expect(rows.map((r) => Number(r.id)).sort()).toEqual([1, 2, 3]);
  });

  it('a crash between the data write and the commit leaves the table unchanged; the rerun adds each row once', async () => {
    const wh = tempDir('dativo-ice-');
    await run(wh, 'run-0001', [people([1])], { cursor: 1 });
    const before = latestMetadata(wh);
    const sink = await createIcebergSink(icebergJob(wh), settings('run-0002'), { encoder });
    await sink.open(ctx('run-0002'));
    await sink.write(people([2, 3]));
    await expect(sink.commit({ state: { cursor: 3 }, _crashAfter: 'staged' })).rejects.toBeInstanceOf(
      SimulatedCrash,
    );
    const after = latestMetadata(wh);
    expect(after.snapshots).toHaveLength(before.snapshots.length);
    expect((await icebergRead({ tableUrl: tableUrl(wh) })).map((r) => Number(r.id))).toEqual([1]);

    // the rerun starts from the committed state and writes the rows again, once
    const { recovery } = await run(wh, 'run-0003', [people([2, 3])], { cursor: 3 });
    expect(recovery.latest?.state).toEqual({ cursor: 1 });
    const rows = await icebergRead({ tableUrl: tableUrl(wh) });
    expect(rows.map((r) => Number(r.id)).sort()).toEqual([1, 2, 3]);
  });

  it('a crash after the commit: the snapshot is the record; the next open() reports it', async () => {
    const wh = tempDir('dativo-ice-');
    const sink = await createIcebergSink(icebergJob(wh), settings('run-0001'), { encoder });
    await sink.open(ctx('run-0001'));
    await sink.write(people([1, 2]));
    await expect(sink.commit({ state: { cursor: 2 }, _crashAfter: 'record' })).rejects.toBeInstanceOf(
      SimulatedCrash,
    );
    const next = await createIcebergSink(icebergJob(wh), settings('run-0002'), { encoder });
    const rec = await next.open(ctx('run-0002'));
    expect(rec.latest).toMatchObject({ runId: 'run-0001', state: { cursor: 2 }, rows: 2, status: 'done' });
    await next.abort('test');
  });

  it('abort deletes the run’s data files and commits nothing', async () => {
    const wh = tempDir('dativo-ice-');
    await run(wh, 'run-0001', [people([1])], {});
    const sink = await createIcebergSink(icebergJob(wh), settings('run-0002'), { encoder });
    await sink.open(ctx('run-0002'));
    await sink.write(people([2]));
    await sink.abort('test');
    const dataDir = path.join(wh, 'sales', 'people', 'data');
    const files = fs.readdirSync(dataDir, { recursive: true }).map(String);
    expect(files.filter((f) => f.includes('run-0002'))).toEqual([]);
    expect(latestMetadata(wh).snapshots).toHaveLength(1);
  });
});

describe('iceberg sink: concurrency', () => {
  it('two concurrent appends both land (one rebases on the other)', async () => {
    const wh = tempDir('dativo-ice-');
    await run(wh, 'run-0000', [people([0])], {});
    // Both build their commit on the same base before either commits: one must lose and rebase.
    let arrived = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const attempts: number[] = [];
    const barrier = async (attempt: number) => {
      attempts.push(attempt);
      if (attempt > 1) return;
      arrived++;
      if (arrived === 2) release();
      await gate;
    };
    const opts = { backoffMs: { initial: 1, max: 5 }, beforeCommit: barrier, encoder };
    const a = await createIcebergSink(icebergJob(wh), settings('run-000a'), opts);
    const b = await createIcebergSink(icebergJob(wh), settings('run-000b'), opts);
    await a.open(ctx('run-000a'));
    await b.open(ctx('run-000b'));
    await a.write(people([1, 2]));
    await b.write(people([3, 4, 5]));
    const [ra, rb] = await Promise.all([a.commit({ state: { s: 'a' } }), b.commit({ state: { s: 'b' } })]);
    expect(ra.record.rows).toBe(2);
    expect(rb.record.rows).toBe(3);
    expect(Math.max(...attempts)).toBe(2); // the loser retried once
    const md = latestMetadata(wh);
    expect(md.snapshots).toHaveLength(3);
    expect(md.snapshots[2]?.['parent-snapshot-id']).toBe(md.snapshots[1]?.['snapshot-id']);
    expect(md.snapshots[2]?.['sequence-number']).toBe(3);
    const rows = await icebergRead({ tableUrl: tableUrl(wh) });
    expect(rows.map((r) => Number(r.id)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(md.snapshots[2]?.summary['total-records']).toBe('6');
  });
});

describe('iceberg sink: partitions and types', () => {
  it('a day + bucket partitioned table reads back with the right partition values', async () => {
    const wh = tempDir('dativo-ice-');
    const ts = [
      '2024-03-01T10:00:00',
      '2024-03-01T23:59:59.999999',
      '2024-03-02T00:00:00',
      '2024-02-29T12:00:00',
    ];
    const batch = batchOf([
      { name: 'id', type: new Int64(), nullable: false, data: int64Data([34, 1, 2, 3]) },
      { name: 'ts', type: new TimestampMicrosecond(null), data: tsData(ts) },
      { name: 'amount', type: new Float64(), data: float64Data([1.5, null, Number.NaN, -2]) },
    ]);
    const { result } = await run(
      wh,
      'run-0001',
      [batch],
      {},
      { partitioning: ['day(ts)', 'bucket(4, id)'], name: 'events' },
    );
    expect(result.record.rows).toBe(4);
    const md = latestMetadata(wh, 'sales', 'events');
    expect(md['partition-specs'][0]?.fields).toEqual([
      { 'source-id': 2, 'field-id': 1000, name: 'ts_day', transform: 'day' },
      { 'source-id': 1, 'field-id': 1001, name: 'id_bucket', transform: 'bucket[4]' },
    ]);
    const ib = await icebergMetadata({ tableUrl: tableUrl(wh, 'sales', 'events') });
    const entries = (await icebergManifests(ib)).flatMap((m) => m.entries);
    const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
    const got = entries
      .map((e) => ({
        p: dayNumbers(e.data_file.partition as Record<string, unknown>),
        n: Number(e.data_file.record_count),
        path: e.data_file.file_path,
      }))
      .sort((x, y) => (x.path < y.path ? -1 : 1));
    // bucket[4] of long 34 = (2017239379 & MAX) % 4 = 3 (spec appendix B hash)
    const expected = [
      { ts_day: day('2024-03-01'), id_bucket: 3 },
      { ts_day: day('2024-03-01'), id_bucket: (hash(1) & 0x7fffffff) % 4 },
      { ts_day: day('2024-03-02'), id_bucket: (hash(2) & 0x7fffffff) % 4 },
      { ts_day: day('2024-02-29'), id_bucket: (hash(3) & 0x7fffffff) % 4 },
    ];
    expect(got.map((g) => g.p).sort(byJson)).toEqual(expected.sort(byJson));
    expect(got.every((g) => g.n === 1)).toBe(true);
    expect(got.some((g) => g.path.includes('/data/ts_day=2024-03-01/id_bucket=3/'))).toBe(true);

    const rows = await icebergRead({ tableUrl: tableUrl(wh, 'sales', 'events') });
    expect(rows).toHaveLength(4);
    const r34 = rows.find((r) => r.id === 34n);
    expect(r34?.amount).toBe(1.5);

    // column stats: bounds of ts in the file of id 1 are its exact microsecond value
    const e1 = entries.find((e) => {
      const p = dayNumbers(e.data_file.partition as Record<string, unknown>);
      return p.id_bucket === (hash(1) & 0x7fffffff) % 4 && p.ts_day === day('2024-03-01');
    });
    const lower = (
      e1?.data_file.lower_bounds as unknown as { key: number; value: Uint8Array }[] | undefined
    )?.find((k) => k.key === 2);
    expect(lower && Buffer.from(lower.value).readBigInt64LE(0)).toBe(isoMicros('2024-03-01T23:59:59.999999'));
    const nulls = (
      e1?.data_file.null_value_counts as unknown as { key: number; value: bigint }[] | undefined
    )?.find((k) => k.key === 3);
    expect(nulls?.value).toBe(1n);
  });
});

describe('iceberg sink: schema evolution', () => {
  it('a new nullable column adds a schema with the next field id; old rows read as null', async () => {
    const wh = tempDir('dativo-ice-');
    await run(wh, 'run-0001', [people([1])], {});
    const withEmail = people([2], [{ name: 'email', type: new Utf8(), data: utf8Data(['b@x']) }]);
    await run(wh, 'run-0002', [withEmail], {});
    const md = latestMetadata(wh);
    expect(md.schemas).toHaveLength(2);
    expect(md['current-schema-id']).toBe(1);
    expect(md['last-column-id']).toBe(3);
    expect(md.schemas[1]?.fields.at(-1)).toEqual({ id: 3, name: 'email', required: false, type: 'string' });
    expect(md.snapshots[1]?.['schema-id']).toBe(1);
    const rows = await icebergRead({ tableUrl: tableUrl(wh) });
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    expect(byId.get(2)?.email).toBe('b@x');
    expect(byId.get(1)?.email ?? null).toBeNull();
  });

  it('a type change fails clearly, naming the column; nothing is committed', async () => {
    const wh = tempDir('dativo-ice-');
    await run(wh, 'run-0001', [people([1])], {});
    const changed = batchOf([
      { name: 'id', type: new Int64(), nullable: false, data: int64Data([2]) },
      { name: 'name', type: new Int64(), data: int64Data([7]) },
    ]);
    const sink = await createIcebergSink(icebergJob(wh), settings('run-0002'), { encoder });
    await sink.open(ctx('run-0002'));
    await expect(sink.write(changed)).rejects.toThrow(
      /column name has type long in the data but string in Iceberg table sales\.people/,
    );
    await sink.abort('test');
    expect(latestMetadata(wh).snapshots).toHaveLength(1);
  });

  it('dropping a required column fails clearly', async () => {
    const wh = tempDir('dativo-ice-');
    await run(wh, 'run-0001', [people([1])], {});
    const noId = batchOf([{ name: 'name', type: new Utf8(), data: utf8Data(['x']) }]);
    const sink = await createIcebergSink(icebergJob(wh), settings('run-0002'), { encoder });
    await sink.open(ctx('run-0002'));
    await expect(sink.write(noId)).rejects.toThrow(/column id is required in Iceberg table sales\.people/);
    await sink.abort('test');
  });
});

/** murmur3 of a long, through our implementation (checked against the spec's values elsewhere). */
const hash = (n: number): number => hashValue('long', BigInt(n));
/** icebird decodes the day transform's Avro `date` as a Date; compare as epoch days. */
const dayNumbers = (p: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(p).map(([k, v]) => [k, v instanceof Date ? v.getTime() / 86_400_000 : v]),
  );
const byJson = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
