/**
 * Every target is a Sink: stage batches as files, commit atomically together with the source state,
 * or abort. Architecture §6 is the protocol; object stores (local, S3) plug in below it.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Logger } from '../observability/logger.js';
import type { SourceState } from '../sources/source.js';

export interface StagedFile {
  /** Final key relative to the target base, e.g. `dativo/adventureworks/csv_person/ingest_date=2026-11-25/x.parquet`. */
  key: string;
  /** Staging key relative to the target base (`_dativo/staging/<run-id>/...parquet.part`). */
  stagingKey: string;
  rows: number;
  bytes: number;
  partition: Record<string, string>;
  /**
   * Object attributes (S3 user metadata and tags) the final object gets at publish, when they
   * were not set on the staged upload (it started before the file closed). Absent locally.
   */
  attributes?: { metadata?: Record<string, string>; tags?: Record<string, string> };
}

/** A durable commit record (`_dativo/commits/<run-id>.json`). */
export interface CommitRecord {
  version: 1;
  runId: string;
  /** Job identity: tenant + job name; cleanup and state reconcile only look at their own. */
  job: string;
  tenant: string;
  createdAt: string;
  status: 'pending' | 'done';
  files: StagedFile[];
  rows: number;
  bytes: number;
  /** The source state after this commit: the source of truth for incremental state. */
  state: SourceState;
  /** Rejects report key, if any rows were rejected. */
  rejectsKey?: string;
}

/** What the pipeline gives every sink it opens. */
export interface SinkSettings {
  runId: string;
  kvMetadata: Record<string, string>;
}

export interface SinkOpenContext {
  runId: string;
  job: string;
  tenant: string;
  logger: Logger;
}

export interface RecoveryReport {
  /** Commit records found pending and completed by this start. */
  rolledForward: string[];
  /** Staging of unrecorded runs that was deleted. */
  cleaned: string[];
  /** Latest done commit of this job (after roll-forward), used to reconcile state. */
  latest?: CommitRecord;
}

export interface CommitRequest {
  state: SourceState;
  /** A local JSON-lines file of rejected rows, published as `_rejects/<run-id>.jsonl` at commit. */
  rejectsFile?: string;
}

export interface CommitResult {
  record: CommitRecord;
}

export interface Sink {
  readonly kind: string;
  /** Recover earlier runs of this job (roll forward recorded commits, delete unrecorded staging). */
  open(ctx: SinkOpenContext): Promise<RecoveryReport>;
  /** Stage one typed, validated batch (the schema is fixed by the first batch). */
  write(batch: RecordBatch): Promise<void>;
  /** Close the current files, write the commit record (conditional create), publish, mark done. */
  commit(req: CommitRequest): Promise<CommitResult>;
  /** Drop this run's staging. Never touches published data. */
  abort(reason: string): Promise<void>;
  /** Progress: files and bytes staged so far. */
  staged(): StagedFile[];
}
