import { isUtf8 } from 'node:buffer';
import type { RecordBatch } from 'apache-arrow';
import { parseCsvOptions } from '../../../host/sources/csv/options.js';
import { CsvParser } from '../../../host/sources/csv/parser.js';
import type { SourceRowError } from '../../../host/sources/source.js';

export const repoRoot = new URL('../../../', import.meta.url);
export const dataFile = (rel: string): string => new URL(`tests/fixtures/data/${rel}`, repoRoot).pathname;

export interface Parsed {
  columns: string[] | undefined;
  rows: (string | null)[][];
  lines: number[];
  rowErrors: SourceRowError[];
  batchSizes: number[];
}

/** Row values of a batch as plain arrays (null stays null). */
export function batchRows(batch: RecordBatch): (string | null)[][] {
  const cols = batch.schema.fields.map((_, k) => batch.getChildAt(k));
  const out: (string | null)[][] = [];
  for (let r = 0; r < batch.numRows; r++) out.push(cols.map((c) => (c?.get(r) ?? null) as string | null));
  return out;
}

/** Parses bytes fed in chunks of `chunk` bytes (0 = all at once) with options as a job would set them. */
export function parseBytes(
  bytes: Uint8Array,
  options: Record<string, unknown> = {},
  chunk = 0,
  batchSize = 1000,
  columnNames?: string[],
): Parsed {
  const o = parseCsvOptions(options);
  const enc = new TextEncoder();
  const parser = new CsvParser({
    delimiter: o.delimiter,
    quote: o.quote,
    escape: o.escape,
    header: o.header,
    skipRows: o.skipRows,
    nullValues: o.nullValues.map((v) => enc.encode(v)),
    quotedEmptyIsNull: o.quotedEmptyIsNull,
    ...(columnNames ? { columnNames } : {}),
    batchSize,
    file: 'case.csv',
    validateUtf8: (b) => isUtf8(b),
  });
  const batches = [];
  const step = chunk > 0 ? chunk : Math.max(1, bytes.length);
  for (let i = 0; i < bytes.length; i += step) batches.push(...parser.push(bytes.subarray(i, i + step)));
  batches.push(...parser.finish());
  return {
    columns: parser.columnNames(),
    rows: batches.flatMap((b) => batchRows(b.batch)),
    lines: batches.flatMap((b) => [...b.lines]),
    rowErrors: batches.flatMap((b) => b.rowErrors),
    batchSizes: batches.map((b) => b.batch.numRows),
  };
}
