/**
 * A batch as a source read it, before the contract: the contract layer validates and coerces it,
 * so the type lives here and sources import down to it (sources/source.ts re-exports it).
 */
import type { RecordBatch } from 'apache-arrow';

/** A row the source could not turn into a record (ragged row, undecodable bytes...). */
export interface SourceRowError {
  /** 1-based physical line in the file where the row starts. */
  line: number;
  file?: string;
  rule: string;
  message: string;
  /** The raw text of the row, for the rejects file (masked by the caller where needed). */
  raw?: string;
}

export interface SourceBatch {
  /**
   * Columns as the source names them. Text sources (CSV) give utf8 columns that the contract layer
   * coerces; typed sources give typed columns.
   */
  batch: RecordBatch;
  /** 1-based physical line of each row in its file, for error messages; absent for non-file sources. */
  lines?: Int32Array;
  /** Where the batch came from. */
  origin: { file?: string; stream?: string };
  /** Rows dropped by the source itself, in this stretch of input. */
  rowErrors?: SourceRowError[];
  /** Bytes of input consumed for this batch (progress). */
  bytesRead?: number;
}
