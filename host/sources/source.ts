/**
 * Every source, whatever runs it (native code, a WASM plugin, a container), is adapted to this one
 * interface. The pipeline never asks which runtime a reader came from.
 */
import type { SourceBatch } from '../contract/batch.js';
import type { Logger } from '../observability/logger.js';
import type { SourceState } from '../state/types.js';

/** A batch as read, and the rows a source could not read: what the contract layer checks. */
export type { SourceBatch, SourceRowError } from '../contract/batch.js';
/** Incremental state of one job: the original's JSON layout (`file_<id|path>` → {...}, etc.). */
export type { SourceState };

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
