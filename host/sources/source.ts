/**
 * Every source, whatever runs it (native code, a WASM plugin, a container), is adapted to this one
 * interface. The pipeline never asks which runtime a reader came from.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Logger } from '../observability/logger.js';

/** Incremental state of one job: the original's JSON layout (`file_<id|path>` → {...}, etc.). */
export type SourceState = Record<string, unknown>;

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

export interface SourceOpenContext {
  /** The last committed state (reconciled from the commit record). */
  state: SourceState;
  logger: Logger;
  signal: AbortSignal;
  /** Rows per batch the pipeline wants. */
  batchSize: number;
}

export interface CheckResult {
  status: 'success' | 'failed' | 'skipped';
  message: string;
  errorCode?: string;
  retryable?: boolean;
  details?: Record<string, unknown>;
}

export interface DiscoverResult {
  objects: { name: string; type: string; [k: string]: unknown }[];
  metadata: Record<string, unknown>;
}

export interface SourceRunInfo {
  /** What isolates the connector: a container, bubblewrap, or nothing. */
  sandbox: 'docker' | 'bubblewrap' | 'none';
  /** True when the job asked to run a local connector without a sandbox (`unsandboxed: true`). */
  unsandboxed: boolean;
  image?: string;
}

export interface Source {
  readonly kind: string;
  open(ctx: SourceOpenContext): Promise<void>;
  /** Batches in order. Throws DativoError for structural problems (unclosed quote, missing file). */
  read(): AsyncIterable<SourceBatch>;
  /** The state to commit once everything yielded so far is durable. */
  checkpoint(): SourceState;
  /** Source tags (spec §6): per-field labels from the source system, e.g. column comments. */
  sourceTags?(): Record<string, string>;
  /** True when open() found nothing new to read (incremental). */
  nothingNew?(): boolean;
  /** How the source's code runs (engine sources), for the run report. */
  runInfo?(): SourceRunInfo;
  check(): Promise<CheckResult>;
  discover(): Promise<DiscoverResult>;
  close(): Promise<void>;
}
