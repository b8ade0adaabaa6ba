/**
 * Manifests and manifest lists (Iceberg spec "Manifests" / "Manifest Lists", format v2), as Avro
 * with the spec's field ids. Maps are arrays of `{key, value}` records with `logicalType: map`, the
 * spec's encoding for maps whose keys are not strings. Entries leave `sequence_number` null so it
 * is inherited from the manifest list: a manifest written once can be listed again by a retried
 * (rebased) commit with a newer sequence number.
 */
import { type AvroSchema, decodeContainer, encodeContainer } from './avro.js';
import { stringifyJson } from './json.js';
import type { IcebergSchema, PartitionSpec } from './metadata.js';
import {
  baseType,
  compareValues,
  decimalParams,
  type IcebergValue,
  toBinary,
  twosComplementBE,
} from './values.js';

export interface DataFile {
  filePath: string;
  fileSizeInBytes: number;
  recordCount: number;
  /** Partition values by partition field name, in internal form (transform results). */
  partition: Record<string, IcebergValue | null>;
  /** Encoded bytes per column (field id), from the Parquet footer. */
  columnSizes?: Map<number, number>;
  valueCounts?: Map<number, number>;
  nullValueCounts?: Map<number, number>;
  nanValueCounts?: Map<number, number>;
  lowerBounds?: Map<number, Uint8Array>;
  upperBounds?: Map<number, Uint8Array>;
  sortOrderId?: number;
  /** 0 data (default), 2 equality deletes (CDC); position deletes (1) are never written here. */
  content?: 0 | 2;
  /** For equality deletes: the field ids whose values identify the deleted rows. */
  equalityIds?: number[];
}

/** One row of a manifest list (snake_case, as in the Avro files). */
export interface ManifestFile {
  manifest_path: string;
  manifest_length: bigint;
  partition_spec_id: number;
  content: number;
  sequence_number: bigint;
  min_sequence_number: bigint;
  added_snapshot_id: bigint;
  added_files_count: number;
  existing_files_count: number;
  deleted_files_count: number;
  added_rows_count: bigint;
  existing_rows_count: bigint;
  deleted_rows_count: bigint;
  partitions: FieldSummary[] | null;
  key_metadata?: Uint8Array | null;
}

export interface FieldSummary {
  contains_null: boolean;
  contains_nan: boolean | null;
  lower_bound: Buffer | null;
  upper_bound: Buffer | null;
}

// --- Avro schemas -------------------------------------------------------------------------------

const opt = (name: string, type: unknown, fieldId: number, doc?: string) => ({
  name,
  type: ['null', type],
  default: null,
  'field-id': fieldId,
  ...(doc ? { doc } : {}),
});
const req = (name: string, type: unknown, fieldId: number) => ({ name, type, 'field-id': fieldId });
const avroMap = (keyId: number, valueId: number, valueType: string) => ({
  type: 'array',
  logicalType: 'map',
  items: {
    type: 'record',
    name: `k${keyId}_v${valueId}`,
    fields: [req('key', 'int', keyId), req('value', valueType, valueId)],
  },
});

/** Avro names allow `[A-Za-z_][A-Za-z0-9_]*`; others are escaped as Java's AvroSchemaUtil does. */
export function avroName(name: string): string {
  let out = '';
  for (const [i, ch] of Array.from(name).entries()) {
    const ok = /[A-Za-z_]/.test(ch) || (i > 0 && /[0-9]/.test(ch));
    out += ok ? ch : /[0-9]/.test(ch) ? `_${ch}` : `_x${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase()}`;
  }
  return out;
}

/** Avro type of an Iceberg primitive (spec "Avro" appendix). */
export function avroTypeOfIceberg(type: string, fieldId: number): unknown {
  switch (baseType(type)) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return baseType(type);
    case 'binary':
      return 'bytes';
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time':
      return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false };
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true };
    case 'uuid':
      return { type: 'fixed', name: `uuid_fixed_${fieldId}`, size: 16, logicalType: 'uuid' };
    case 'decimal': {
      const [p, s] = decimalParams(type);
      return {
        type: 'fixed',
        name: `decimal_${p}_${s}_${fieldId}`,
        size: decimalBytes(p),
        logicalType: 'decimal',
        precision: p,
        scale: s,
      };
    }
    case 'fixed': {
      const n = Number(/\[(\d+)\]/.exec(type)?.[1]);
      return { type: 'fixed', name: `fixed_${n}_${fieldId}`, size: n };
    }
    default:
      throw new Error(`no Avro type for Iceberg type ${type}`);
  }
}

/** Bytes of a fixed holding any unscaled value of precision `p` (Java's TypeUtil.decimalRequiredBytes). */
export function decimalBytes(p: number): number {
  for (let n = 1; ; n++) if (Math.floor(Math.log10(2 ** (8 * n - 1) - 1)) >= p) return n;
}

export interface PartitionFieldType {
  name: string;
  fieldId: number;
  /** Iceberg result type of the transform. */
  type: string;
}

export function manifestEntrySchema(partition: PartitionFieldType[]): AvroSchema {
  const partitionRecord = {
    type: 'record',
    name: 'r102',
    fields: partition.map((p) => opt(avroName(p.name), avroTypeOfIceberg(p.type, p.fieldId), p.fieldId)),
  };
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      req('status', 'int', 0),
      opt('snapshot_id', 'long', 1),
      opt('sequence_number', 'long', 3),
      opt('file_sequence_number', 'long', 4),
      req(
        'data_file',
        {
          type: 'record',
          name: 'r2',
          fields: [
            req('content', 'int', 134),
            req('file_path', 'string', 100),
            req('file_format', 'string', 101),
            req('partition', partitionRecord, 102),
            req('record_count', 'long', 103),
            req('file_size_in_bytes', 'long', 104),
            opt('column_sizes', avroMap(117, 118, 'long'), 108),
            opt('value_counts', avroMap(119, 120, 'long'), 109),
            opt('null_value_counts', avroMap(121, 122, 'long'), 110),
            opt('nan_value_counts', avroMap(138, 139, 'long'), 137),
            opt('lower_bounds', avroMap(126, 127, 'bytes'), 125),
            opt('upper_bounds', avroMap(129, 130, 'bytes'), 128),
            opt('key_metadata', 'bytes', 131),
            opt('split_offsets', { type: 'array', items: 'long', 'element-id': 133 }, 132),
            opt('equality_ids', { type: 'array', items: 'int', 'element-id': 136 }, 135),
            opt('sort_order_id', 'int', 140),
          ],
        },
        2,
      ),
    ],
  };
}

export const MANIFEST_LIST_SCHEMA: AvroSchema = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    req('manifest_path', 'string', 500),
    req('manifest_length', 'long', 501),
    req('partition_spec_id', 'int', 502),
    req('content', 'int', 517),
    req('sequence_number', 'long', 515),
    req('min_sequence_number', 'long', 516),
    req('added_snapshot_id', 'long', 503),
    req('added_files_count', 'int', 504),
    req('existing_files_count', 'int', 505),
    req('deleted_files_count', 'int', 506),
    req('added_rows_count', 'long', 512),
    req('existing_rows_count', 'long', 513),
    req('deleted_rows_count', 'long', 514),
    opt(
      'partitions',
      {
        type: 'array',
        'element-id': 508,
        items: {
          type: 'record',
          name: 'r508',
          fields: [
            req('contains_null', 'boolean', 509),
            opt('contains_nan', 'boolean', 518),
            opt('lower_bound', 'bytes', 510),
            opt('upper_bound', 'bytes', 511),
          ],
        },
      },
      507,
    ),
    opt('key_metadata', 'bytes', 519),
  ],
};

// --- writing ------------------------------------------------------------------------------------

const mapEntries = (m: Map<number, number> | undefined) =>
  m
    ? [...m.entries()].sort((a, b) => a[0] - b[0]).map(([key, value]) => ({ key, value: BigInt(value) }))
    : null;
const binEntries = (m: Map<number, Uint8Array> | undefined) =>
  m
    ? [...m.entries()].sort((a, b) => a[0] - b[0]).map(([key, value]) => ({ key, value: Buffer.from(value) }))
    : null;

/** A partition value as avsc wants it for the field's Avro type. */
function avroPartitionValue(p: PartitionFieldType, v: IcebergValue | null): unknown {
  if (v === null) return null;
  switch (baseType(p.type)) {
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return BigInt(v as number | bigint);
    case 'decimal': {
      const size = decimalBytes(decimalParams(p.type)[0]);
      const raw = twosComplementBE(BigInt(v as number | bigint));
      const out = Buffer.alloc(size, (raw[0] as number) & 0x80 ? 0xff : 0);
      out.set(raw, size - raw.length);
      return out;
    }
    case 'binary':
    case 'fixed':
    case 'uuid':
      return Buffer.from(v as Uint8Array);
    default:
      return v;
  }
}

export interface WriteManifestInput {
  schema: IcebergSchema;
  spec: PartitionSpec;
  partitionTypes: PartitionFieldType[];
  snapshotId: bigint;
  files: DataFile[];
  /** A delete manifest (its files are equality delete files); default a data manifest. */
  deletes?: boolean;
}

/** The bytes of a data (or delete) manifest listing `files` as ADDED by `snapshotId`. */
export function writeManifest(input: WriteManifestInput): Uint8Array {
  const records = input.files.map((f) => ({
    status: 1, // ADDED
    snapshot_id: input.snapshotId,
    sequence_number: null, // inherited from the manifest list
    file_sequence_number: null,
    data_file: {
      content: f.content ?? 0,
      file_path: f.filePath,
      file_format: 'PARQUET',
      partition: Object.fromEntries(
        input.partitionTypes.map((p) => [
          avroName(p.name),
          avroPartitionValue(p, f.partition[p.name] ?? null),
        ]),
      ),
      record_count: BigInt(f.recordCount),
      file_size_in_bytes: BigInt(f.fileSizeInBytes),
      column_sizes: mapEntries(f.columnSizes),
      value_counts: mapEntries(f.valueCounts),
      null_value_counts: mapEntries(f.nullValueCounts),
      nan_value_counts: mapEntries(f.nanValueCounts),
      lower_bounds: binEntries(f.lowerBounds),
      upper_bounds: binEntries(f.upperBounds),
      key_metadata: null,
      split_offsets: null,
      equality_ids: f.equalityIds ?? null,
      sort_order_id: f.sortOrderId ?? null,
    },
  }));
  return encodeContainer(manifestEntrySchema(input.partitionTypes), records, {
    schema: stringifyJson(input.schema),
    'schema-id': String(input.schema['schema-id']),
    'partition-spec': stringifyJson(input.spec.fields),
    'partition-spec-id': String(input.spec['spec-id']),
    'format-version': '2',
    content: input.deletes ? 'deletes' : 'data',
  });
}

/** The manifest-list row for a manifest of ADDED files written by `writeManifest`. */
export function manifestFileFor(
  path: string,
  length: number,
  specId: number,
  snapshotId: bigint,
  sequenceNumber: bigint,
  files: DataFile[],
  partitionTypes: PartitionFieldType[],
  content: 0 | 1 = 0,
): ManifestFile {
  return {
    manifest_path: path,
    manifest_length: BigInt(length),
    partition_spec_id: specId,
    content,
    sequence_number: sequenceNumber,
    min_sequence_number: sequenceNumber,
    added_snapshot_id: snapshotId,
    added_files_count: files.length,
    existing_files_count: 0,
    deleted_files_count: 0,
    added_rows_count: BigInt(files.reduce((n, f) => n + f.recordCount, 0)),
    existing_rows_count: 0n,
    deleted_rows_count: 0n,
    partitions: partitionTypes.map((p) =>
      summarize(
        p,
        files.map((f) => f.partition[p.name] ?? null),
      ),
    ),
    key_metadata: null,
  };
}

function summarize(p: PartitionFieldType, values: (IcebergValue | null)[]): FieldSummary {
  const present = values.filter((v): v is IcebergValue => v !== null);
  let lo: IcebergValue | undefined;
  let hi: IcebergValue | undefined;
  for (const v of present) {
    if (lo === undefined || compareValues(v, lo) < 0) lo = v;
    if (hi === undefined || compareValues(v, hi) > 0) hi = v;
  }
  const isFloat = ['float', 'double'].includes(baseType(p.type));
  return {
    contains_null: present.length < values.length,
    contains_nan: isFloat ? present.some((v) => Number.isNaN(v as number)) : false,
    lower_bound: lo === undefined ? null : Buffer.from(toBinary(p.type, lo)),
    upper_bound: hi === undefined ? null : Buffer.from(toBinary(p.type, hi)),
  };
}

/** A manifest list file holding `manifests` (ours first, then the parent's). */
export function writeManifestList(
  manifests: ManifestFile[],
  meta: { snapshotId: bigint; parentSnapshotId?: bigint; sequenceNumber: bigint },
): Uint8Array {
  return encodeContainer(MANIFEST_LIST_SCHEMA, manifests, {
    'snapshot-id': String(meta.snapshotId),
    'parent-snapshot-id': meta.parentSnapshotId === undefined ? 'null' : String(meta.parentSnapshotId),
    'sequence-number': String(meta.sequenceNumber),
    'format-version': '2',
  });
}

/** The rows of a manifest list (to carry a parent snapshot's manifests into a new snapshot). */
export function readManifestList(bytes: Uint8Array): ManifestFile[] {
  return decodeContainer(bytes).records as unknown as ManifestFile[];
}

/** The entries of a manifest, as decoded (snake_case records). */
export function readManifest(bytes: Uint8Array): {
  metadata: Record<string, string>;
  entries: Record<string, unknown>[];
} {
  const d = decodeContainer(bytes);
  return { metadata: d.metadata, entries: d.records };
}
