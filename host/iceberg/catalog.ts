/**
 * The one catalog interface every Iceberg catalog implements (filesystem/S3, REST). It follows the
 * Iceberg REST catalog protocol's commit model — requirements checked against the current
 * metadata, then updates applied — so the filesystem catalog and the REST client behave the same
 * and the test REST server can be the filesystem catalog behind HTTP.
 *
 * Shapes are the REST spec's JSON (kebab-case actions); metadata is the table-metadata JSON of
 * format v2 as parsed by `metadata.ts` (64-bit ids are kept exact: see that module).
 */
import type { TableMetadata } from './metadata.js';

export interface TableIdent {
  namespace: string[];
  name: string;
}

export interface LoadedTable {
  /** Absent only for a staged create (nothing is written until its commit). */
  metadataLocation?: string;
  metadata: TableMetadata;
}

/** REST `TableRequirement`s a commit is conditional on (all kinds of the spec). */
export type TableRequirement =
  | { type: 'assert-create' }
  | { type: 'assert-table-uuid'; uuid: string }
  | { type: 'assert-ref-snapshot-id'; ref: string; 'snapshot-id': bigint | null }
  | { type: 'assert-current-schema-id'; 'current-schema-id': number }
  | { type: 'assert-last-assigned-field-id'; 'last-assigned-field-id': number }
  | { type: 'assert-last-assigned-partition-id'; 'last-assigned-partition-id': number }
  | { type: 'assert-default-spec-id'; 'default-spec-id': number }
  | { type: 'assert-default-sort-order-id'; 'default-sort-order-id': number };

/** REST `TableUpdate`s of a v2 table. Schema/snapshot/statistics objects are the v2 JSON shapes. */
export type TableUpdate =
  | { action: 'assign-uuid'; uuid: string }
  | { action: 'upgrade-format-version'; 'format-version': number }
  | { action: 'add-schema'; schema: unknown; 'last-column-id'?: number }
  | { action: 'set-current-schema'; 'schema-id': number }
  | { action: 'add-spec'; spec: unknown }
  | { action: 'set-default-spec'; 'spec-id': number }
  | { action: 'add-sort-order'; 'sort-order': unknown }
  | { action: 'set-default-sort-order'; 'sort-order-id': number }
  | { action: 'add-snapshot'; snapshot: unknown }
  | {
      action: 'set-snapshot-ref';
      'ref-name': string;
      type: 'branch' | 'tag';
      'snapshot-id': bigint;
      'max-ref-age-ms'?: number;
      'max-snapshot-age-ms'?: number;
      'min-snapshots-to-keep'?: number;
    }
  | { action: 'remove-snapshots'; 'snapshot-ids': (bigint | number)[] }
  | { action: 'remove-snapshot-ref'; 'ref-name': string }
  | { action: 'set-properties'; updates: Record<string, string> }
  | { action: 'remove-properties'; removals: string[] }
  | { action: 'set-location'; location: string }
  | { action: 'set-statistics'; 'snapshot-id'?: bigint | number; statistics: unknown }
  | { action: 'remove-statistics'; 'snapshot-id': bigint | number }
  | { action: 'set-partition-statistics'; 'partition-statistics': unknown }
  | { action: 'remove-partition-statistics'; 'snapshot-id': bigint | number }
  | { action: 'remove-partition-specs'; 'spec-ids': number[] }
  | { action: 'remove-schemas'; 'schema-ids': number[] };

export interface CreateTableRequest {
  name: string;
  /** Defaults to `<warehouse>/<namespace...>/<name>`. */
  location?: string;
  schema: unknown;
  'partition-spec'?: unknown;
  'write-order'?: unknown;
  properties?: Record<string, string>;
  /** Write the metadata but keep the table invisible until a commit with `assert-create`. */
  'stage-create'?: boolean;
}

/** Thrown when a requirement fails (REST 409): reload, rebase, retry. */
export class CommitConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommitConflictError';
  }
}

/** A bad update or requirement (REST 400: retrying cannot help); the message names it. */
export class InvalidUpdateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidUpdateError';
  }
}

/**
 * Thrown when the catalog cannot say whether a commit landed (REST 500/502/504, timeout): the
 * caller must reload and look for its run id in the snapshot summaries before retrying.
 */
export class CommitStateUnknownError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommitStateUnknownError';
  }
}

export interface Catalog {
  readonly kind: 'filesystem' | 'rest';
  /** Undefined when the table does not exist. */
  loadTable(id: TableIdent): Promise<LoadedTable | undefined>;
  /** Creates the namespace if needed; throws CommitConflictError if the table already exists. */
  createTable(id: TableIdent, req: CreateTableRequest): Promise<LoadedTable>;
  /**
   * Atomic: all requirements hold and all updates apply, or nothing changes. With `assert-create`
   * the table must not exist and is created from the updates alone (a staged create's commit).
   */
  commitTable(id: TableIdent, requirements: TableRequirement[], updates: TableUpdate[]): Promise<LoadedTable>;
  /** False when the table does not exist. `purge` also deletes its data and metadata files. */
  dropTable?(id: TableIdent, purge: boolean): Promise<boolean>;
  /** Throws NoSuchTableError / CommitConflictError (destination exists). */
  renameTable?(from: TableIdent, to: TableIdent): Promise<void>;
}

/** The table named does not exist (REST 404). */
export class NoSuchTableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoSuchTableError';
  }
}
