/**
 * Arrow batches built inside the component with the PDK's own IPC encoder (ipc-write.ts): a
 * reader's bundle carries no apache-arrow writer, and columns go straight into typed arrays, which
 * matters in SpiderMonkey without a JIT. Columns are typed explicitly (strings are plain utf8: the
 * contract's batch framing forbids dictionaries). One call = one IPC stream with exactly one record
 * batch, as the host requires. Writers read incoming batches with apache-arrow (`rowsOf`).
 */
import { RecordBatchReader } from 'apache-arrow';
import { type ColumnType, type EncodedColumn, encodeIpcBatch } from './ipc-write.js';

export type { ColumnType, TimeUnit } from './ipc-write.js';

export interface Column {
  type: ColumnType;
  values: EncodedColumn['values'];
}

const MS_PER_DAY = 86_400_000;
const millis = (v: number | Date | null) => (v instanceof Date ? v.getTime() : v);

/** Numbers may come as a typed array of the column's width: copied at native speed. */
export const int32 = (values: (number | null)[] | Int32Array): Column => ({ type: { id: 'int32' }, values });
/** 64-bit integers from numbers (safe integers) or bigints. */
export const int64 = (values: (number | bigint | null)[] | BigInt64Array): Column => ({ type: { id: 'int64' }, values });
export const float64 = (values: (number | null)[] | Float64Array): Column => ({ type: { id: 'float64' }, values });
export const utf8 = (values: (string | null)[]): Column => ({ type: { id: 'utf8' }, values });
export const bool = (values: (boolean | null)[]): Column => ({ type: { id: 'bool' }, values });
/** Calendar dates (Arrow date32: days since 1970-01-01), from day numbers or Dates (their UTC day). */
export const date32 = (values: (number | Date | null)[]): Column => ({
  type: { id: 'date32' },
  values: values.map((v) => (v instanceof Date ? Math.floor(v.getTime() / MS_PER_DAY) : v)),
});
/** UTC instants (plain TIMESTAMP in Parquet), from epoch milliseconds or Dates. */
export const timestampMs = (values: (number | Date | null)[]): Column => ({
  type: { id: 'timestamp', unit: 'ms' },
  values: values.map(millis),
});

/**
 * UTC instants as microseconds, the Arrow type of the contract's `timestamp` (what `plugin test`
 * and the pipeline expect), from epoch milliseconds or Dates (scaled here).
 */
export const timestampUs = (values: (number | Date | null)[]): Column => ({
  type: { id: 'timestamp', unit: 'us' },
  values: values.map((v) => {
    const ms = millis(v);
    return ms === null ? null : BigInt(Math.round(ms * 1000));
  }),
});

// The batch a reader returns is copied into the component's memory when nextBatch returns (and
// that copy is freed by the host afterwards), so one output buffer serves every batch: no garbage
// per batch, which matters because the guest's GC does not reclaim it under a tight memory grant.
let scratch = new Uint8Array(0);
function reuse(bytes: number): Uint8Array {
  if (scratch.length < bytes) scratch = new Uint8Array(Math.max(bytes, Math.floor(scratch.length * 1.5)));
  const out = scratch.subarray(0, bytes);
  out.fill(0);
  return out;
}

/**
 * One Arrow IPC stream (schema, one record batch, end marker) from typed columns. The bytes live in
 * a buffer the next ipcBatch call overwrites: return them from nextBatch (or copy them with
 * `.slice()` to keep them); `encodeIpcBatch` always returns a fresh buffer.
 */
export function ipcBatch(columns: Record<string, Column>): Uint8Array {
  return encodeIpcBatch(columns, reuse);
}

/** The rows of an incoming batch (writers), as plain objects. */
export function rowsOf(batch: Uint8Array): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const b of RecordBatchReader.from(batch)) {
    for (const row of b) rows.push(row.toJSON() as Record<string, unknown>);
  }
  return rows;
}
