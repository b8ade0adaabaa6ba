/**
 * The batch-framing conformance suite every plugin runtime must pass (architecture §4: one
 * complete Arrow IPC stream per call, no dictionaries, no compression). A runtime provides an
 * echo path (host → plugin → host, validated at the boundary both ways) and a Source over its
 * reference generator plugin; `checkRuntimeConformance` throws (node:assert) on the first failure.
 */
import assert from 'node:assert/strict';
import {
  Bool,
  CompressionType,
  compressionRegistry,
  DateDay,
  Dictionary,
  Float64,
  Int32,
  Int64,
  makeTable,
  RecordBatchStreamWriter,
  Table,
  TimestampMicrosecond,
  tableFromArrays,
  tableFromIPC,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import type { Source } from '../../../host/sources/source.js';

export interface ConformanceTarget {
  runtime: string;
  /** Send one IPC payload through an echoing plugin; must validate the framing in both directions. */
  echo(ipc: Uint8Array): Promise<Uint8Array>;
  /** A Source over the runtime's generator plugin (columns id:int64, name:utf8). */
  reader(batches: number, rows: number): Promise<Source>;
}

export interface ConformanceReport {
  runtime: string;
  checks: string[];
}

function typedTable(rows: number): Table {
  const n = (i: number) => i % 7 === 3;
  return makeTable({
    i64: vectorFromArray(
      Array.from({ length: rows }, (_, i) => (n(i) ? null : BigInt(i) * 1_000_000_007n)),
      new Int64(),
    ),
    f64: vectorFromArray(
      Array.from({ length: rows }, (_, i) => (n(i) ? null : i / 3)),
      new Float64(),
    ),
    s: vectorFromArray(
      Array.from({ length: rows }, (_, i) => (n(i) ? null : `värde-${i}-✓`)),
      new Utf8(),
    ),
    b: vectorFromArray(
      Array.from({ length: rows }, (_, i) => (n(i) ? null : i % 2 === 0)),
      new Bool(),
    ),
    d: vectorFromArray(
      Array.from({ length: rows }, (_, i) => (n(i) ? null : new Date(Date.UTC(2024, 0, 1 + (i % 365))))),
      new DateDay(),
    ),
    ts: vectorFromArray(
      Array.from({ length: rows }, (_, i) => (n(i) ? null : 1_700_000_000_000 + i)),
      new TimestampMicrosecond(),
    ),
  } as never) as unknown as Table;
}

function fakeZstd(): void {
  // A codec that only looks like zstd: enough for apache-arrow to write a "compressed" stream.
  if (!compressionRegistry.get(CompressionType.ZSTD)) {
    compressionRegistry.set(CompressionType.ZSTD, {
      encode: (x: Uint8Array) => Uint8Array.from([40, 181, 47, 253, 0, 0, ...x]),
      decode: (x: Uint8Array) => x.subarray(6),
    });
  }
}

export const BAD_PAYLOADS: Record<string, { bytes: () => Uint8Array; error: RegExp }> = {
  dictionary: {
    bytes: () =>
      tableToIPC(
        new Table({ s: vectorFromArray(['a', 'b', 'a'], new Dictionary(new Utf8(), new Int32())) }),
        'stream',
      ),
    error: /dictionar/,
  },
  compressed: {
    bytes: () => {
      fakeZstd();
      const w = new RecordBatchStreamWriter({ compressionType: CompressionType.ZSTD } as never);
      w.write(tableFromArrays({ a: Int32Array.from([1, 2, 3]) }));
      w.finish();
      return w.toUint8Array(true);
    },
    error: /compressed/,
  },
  'two record batches': {
    bytes: () =>
      tableToIPC(
        tableFromArrays({ a: Int32Array.from([1]) }).concat(tableFromArrays({ a: Int32Array.from([2]) })),
        'stream',
      ),
    error: /exactly one record batch/,
  },
  'no end-of-stream': {
    bytes: () => {
      const ok = tableToIPC(tableFromArrays({ a: Int32Array.from([1]) }), 'stream');
      return ok.subarray(0, ok.length - 8);
    },
    error: /end-of-stream/,
  },
  garbage: {
    bytes: () => Uint8Array.from({ length: 64 }, (_, i) => (i * 31 + 7) & 0xff),
    error: /IPC|message|schema/,
  },
};

export async function checkRuntimeConformance(t: ConformanceTarget): Promise<ConformanceReport> {
  const checks: string[] = [];

  for (const rows of [0, 1, 1000]) {
    const table = typedTable(rows);
    const bytes = tableToIPC(table, 'stream');
    const back = await t.echo(bytes);
    assert.deepEqual(
      Buffer.from(back),
      Buffer.from(bytes),
      `${t.runtime}: ${rows}-row batch did not round-trip byte for byte`,
    );
    const decoded = tableFromIPC(back);
    assert.equal(decoded.numRows, rows);
    assert.deepEqual(
      decoded.schema.fields.map((f) => String(f.type)),
      table.schema.fields.map((f) => String(f.type)),
    );
    checks.push(`echo ${rows} rows of int64/float64/utf8/bool/date32/timestamp(us) with nulls`);
  }

  const big = tableToIPC(tableFromArrays({ x: new Float64Array(256 * 1024) }), 'stream');
  assert.ok(big.byteLength > 2 * 1024 * 1024);
  assert.deepEqual(
    Buffer.from(await t.echo(big)),
    Buffer.from(big),
    `${t.runtime}: 2 MiB batch did not round-trip`,
  );
  checks.push('echo a 2 MiB batch');

  for (const [name, bad] of Object.entries(BAD_PAYLOADS)) {
    await assert.rejects(
      t.echo(bad.bytes()),
      bad.error,
      `${t.runtime}: a ${name} payload crossed the boundary`,
    );
    checks.push(`reject ${name}`);
  }

  const source = await t.reader(2, 250);
  const { silentLogger } = await import('../../../host/observability/logger.js');
  await source.open({
    state: {},
    logger: silentLogger(),
    signal: new AbortController().signal,
    batchSize: 250,
  });
  const got: number[] = [];
  for await (const b of source.read()) {
    assert.deepEqual(
      b.batch.schema.fields.map((f) => `${f.name}:${f.type}`),
      ['id:Int64', 'name:Utf8'],
    );
    got.push(b.batch.numRows);
  }
  assert.deepEqual(got, [250, 250]);
  assert.ok(
    Object.keys(source.checkpoint()).length > 0,
    `${t.runtime}: reader state did not reach the checkpoint`,
  );
  await source.close();
  checks.push('reader yields RecordBatches and checkpoints state');

  return { runtime: t.runtime, checks };
}
