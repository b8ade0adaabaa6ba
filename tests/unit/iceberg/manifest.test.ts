/**
 * Manifests and manifest lists decoded from their raw bytes with a fresh avsc reader (not our
 * decoder), checked against the spec's field ids; column statistics and bound serialization.
 */

import { Decimal, Int64, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  type DataFile,
  decimalBytes,
  manifestFileFor,
  readManifestList,
  writeManifest,
  writeManifestList,
} from '../../../host/iceberg/manifest.js';
import type { IcebergSchema, PartitionSpec } from '../../../host/iceberg/metadata.js';
import { createStatsCollector } from '../../../host/iceberg/stats.js';
import { toBinary } from '../../../host/iceberg/values.js';
import { decodeIndependently } from './avsc-reader.js';
import { batchOf, decimalData, int64Data, utf8Data } from './helpers.js';

const schema: IcebergSchema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'day', required: false, type: 'date' },
  ],
};
const spec: PartitionSpec = {
  'spec-id': 0,
  fields: [{ 'source-id': 2, 'field-id': 1000, name: 'day', transform: 'identity' }],
};
const ptypes = [{ name: 'day', fieldId: 1000, type: 'date' }];
const file: DataFile = {
  filePath: 's3://b/t/data/day=2024-01-01/a.parquet',
  fileSizeInBytes: 1234,
  recordCount: 3,
  partition: { day: 19723 },
  valueCounts: new Map([[1, 3]]),
  nullValueCounts: new Map([[1, 0]]),
  lowerBounds: new Map([[1, toBinary('long', 5n)]]),
  upperBounds: new Map([[1, toBinary('long', 9n)]]),
};

type AvroField = { name: string; 'field-id'?: number; type: unknown };
const fieldIds = (fields: AvroField[]) => Object.fromEntries(fields.map((f) => [f.name, f['field-id']]));

describe('manifest file', () => {
  it('has the spec schema: field ids, the partition struct, maps as k/v arrays', async () => {
    const bytes = writeManifest({
      schema,
      spec,
      partitionTypes: ptypes,
      snapshotId: 2n ** 62n + 7n,
      files: [file],
    });
    const { schema: s, meta, rows } = await decodeIndependently(bytes);
    const top = s as { name: string; fields: AvroField[] };
    expect(top.name).toBe('manifest_entry');
    expect(fieldIds(top.fields)).toEqual({
      status: 0,
      snapshot_id: 1,
      sequence_number: 3,
      file_sequence_number: 4,
      data_file: 2,
    });
    const df = (top.fields[4]?.type as { fields: AvroField[] } | undefined)?.fields ?? [];
    expect(fieldIds(df)).toMatchObject({
      content: 134,
      file_path: 100,
      file_format: 101,
      partition: 102,
      record_count: 103,
      file_size_in_bytes: 104,
      column_sizes: 108,
      value_counts: 109,
      null_value_counts: 110,
      nan_value_counts: 137,
      lower_bounds: 125,
      upper_bounds: 128,
      key_metadata: 131,
      split_offsets: 132,
      equality_ids: 135,
      sort_order_id: 140,
    });
    const part = df.find((f) => f.name === 'partition')?.type as { name: string; fields: AvroField[] };
    expect(part.name).toBe('r102');
    expect(part.fields).toEqual([
      { name: 'day', type: ['null', { type: 'int', logicalType: 'date' }], default: null, 'field-id': 1000 },
    ]);
    const lower = ((df.find((f) => f.name === 'lower_bounds')?.type ?? []) as unknown[])[1] as {
      logicalType: string;
      items: { name: string; fields: AvroField[] };
    };
    expect(lower.logicalType).toBe('map');
    expect(lower.items.name).toBe('k126_v127');
    expect(fieldIds(lower.items.fields)).toEqual({ key: 126, value: 127 });

    expect(meta['format-version']).toBe('2');
    expect(meta.content).toBe('data');
    expect(meta['partition-spec-id']).toBe('0');
    expect(JSON.parse(meta['partition-spec'] as string)).toEqual(spec.fields);
    expect(JSON.parse(meta.schema as string).fields).toEqual(schema.fields);

    expect(rows).toHaveLength(1);
    const row = rows[0] as {
      status: number;
      snapshot_id: bigint;
      sequence_number: null;
      data_file: Record<string, unknown>;
    };
    expect(row.status).toBe(1);
    expect(row.sequence_number).toBeNull(); // inherited from the manifest list
    expect(row.data_file.file_path).toBe(file.filePath);
    expect(row.data_file.record_count).toBe(3n);
    expect(row.snapshot_id).toBe(2n ** 62n + 7n);
    expect(row.data_file.partition).toEqual({ day: 19723 });
    const lb = row.data_file.lower_bounds as { key: number; value: Buffer }[];
    expect(lb[0]?.key).toBe(1);
    expect(Buffer.from(lb[0]?.value as Buffer).readBigInt64LE(0)).toBe(5n);
  });
});

describe('manifest list', () => {
  it('has the spec schema and round-trips 64-bit ids exactly', async () => {
    const sid = 2n ** 62n + 12345n;
    const row = manifestFileFor('s3://b/t/metadata/m0.avro', 999, 0, sid, 4n, [file], ptypes);
    const bytes = writeManifestList([row], { snapshotId: sid, parentSnapshotId: 3n, sequenceNumber: 4n });
    const { schema: s, meta } = await decodeIndependently(bytes);
    const fields = (s as { name: string; fields: AvroField[] }).fields;
    expect(fieldIds(fields)).toEqual({
      manifest_path: 500,
      manifest_length: 501,
      partition_spec_id: 502,
      content: 517,
      sequence_number: 515,
      min_sequence_number: 516,
      added_snapshot_id: 503,
      added_files_count: 504,
      existing_files_count: 505,
      deleted_files_count: 506,
      added_rows_count: 512,
      existing_rows_count: 513,
      deleted_rows_count: 514,
      partitions: 507,
      key_metadata: 519,
    });
    expect(meta).toMatchObject({
      'snapshot-id': String(sid),
      'parent-snapshot-id': '3',
      'sequence-number': '4',
      'format-version': '2',
    });
    const back = readManifestList(bytes);
    expect(back[0]?.added_snapshot_id).toBe(sid);
    expect(back[0]?.added_rows_count).toBe(3n);
    const summary = back[0]?.partitions?.[0];
    expect(summary?.contains_null).toBe(false);
    expect(Buffer.from(summary?.lower_bound as Buffer).readInt32LE(0)).toBe(19723);
  });
});

describe('column statistics', () => {
  it('counts values and nulls, bounds in single-value serialization, strings truncated to 16', () => {
    const long = 'abcdefghijklmnopqrstuvwxyz';
    const batch = batchOf([
      { name: 'id', type: new Int64(), data: int64Data([3, null, -7]) },
      { name: 's', type: new Utf8(), data: utf8Data(['b', long, null]) },
      { name: 'd', type: new Decimal(2, 10, 128), data: decimalData([1420n, -5n, null], 10, 2) },
    ]);
    const stats = createStatsCollector(
      new Map([
        ['id', { id: 1, type: 'long' }],
        ['s', { id: 2, type: 'string' }],
        ['d', { id: 3, type: 'decimal(10, 2)' }],
      ]),
    );
    stats.add(batch);
    const r = stats.result();
    expect(Object.fromEntries(r.valueCounts ?? [])).toEqual({ 1: 3, 2: 3, 3: 3 });
    expect(Object.fromEntries(r.nullValueCounts ?? [])).toEqual({ 1: 1, 2: 1, 3: 1 });
    expect(Buffer.from(r.lowerBounds?.get(1) as Uint8Array).readBigInt64LE(0)).toBe(-7n);
    expect(Buffer.from(r.upperBounds?.get(1) as Uint8Array).readBigInt64LE(0)).toBe(3n);
    expect(new TextDecoder().decode(r.lowerBounds?.get(2))).toBe(long.slice(0, 16)); // 'b' > 'abc...'
    expect(new TextDecoder().decode(r.upperBounds?.get(2))).toBe('b');
    expect([...(r.lowerBounds?.get(3) ?? [])]).toEqual([0xfb]); // -5, big-endian two's complement
    expect([...(r.upperBounds?.get(3) ?? [])]).toEqual([0x05, 0x8c]); // 1420
  });

  it('a truncated string upper bound is incremented so it stays an upper bound', () => {
    const batch = batchOf([{ name: 's', type: new Utf8(), data: utf8Data(['zzzzzzzzzzzzzzzzzzzz']) }]);
    const stats = createStatsCollector(new Map([['s', { id: 1, type: 'string' }]]));
    stats.add(batch);
    expect(new TextDecoder().decode(stats.result().upperBounds?.get(1))).toBe(`${'z'.repeat(15)}{`);
  });

  it('decimal fixed sizes follow the spec (precision → bytes)', () => {
    expect([1, 2, 9, 10, 18, 19, 38].map(decimalBytes)).toEqual([1, 1, 4, 5, 8, 9, 16]);
  });
});
