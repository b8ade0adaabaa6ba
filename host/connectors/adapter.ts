/**
 * The one shape every connector has, whatever runs it (native code, an Extism module, an engine in
 * a container): a name, the zod schema of its `connection` block, what it can do, and `open`.
 * A row is cheap to load: the implementation is imported inside `open`, so `validate` and
 * `--help` never pay for the AWS SDK, dockerode, the database drivers or the plugin host.
 */
import type { z } from 'zod';
import type { ResolvedJob, ResolvedSource, ResolvedTarget } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import type { IcebergTarget } from '../sinks/iceberg/target.js';
import type { Sink } from '../sinks/sink.js';
import type { ObjectStore } from '../sinks/store/object-store.js';
import type { CheckResult, Source } from '../sources/source.js';

export interface SourceCapabilities {
  /** `dativo check` tests the connection. */
  check: boolean;
  /** `dativo discover` lists objects. */
  discover: boolean;
  /** Keeps a cursor between runs. */
  incremental: boolean;
}

export interface SinkCapabilities {
  /** `dativo check` tests that the target is writable. */
  check: boolean;
  /** Tables (Iceberg) rather than files under a prefix. */
  tables: boolean;
  /** `run --full-refresh`: the commit replaces the job's earlier files (file-based commit protocol). */
  fullRefresh: boolean;
}

export interface SourceContext {
  job: ResolvedJob;
  batchSize: number;
  /** The run's logger: a reader plugin's grant is audited as it is computed, before open(). */
  logger?: Logger;
}

export interface SinkContext {
  job: ResolvedJob;
  runId: string;
  kvMetadata: Record<string, string>;
  /** The run's logger: a writer plugin's grant is audited as it is computed, before open(). */
  logger?: Logger;
}

interface AdapterRow<K extends 'source' | 'sink', Caps> {
  /** The connector name a job uses (`source.type`/`target.type`), or the runtime it names. */
  name: string;
  kind: K;
  /**
   * How a job selects this row: `connector` by `type` (and listed in registry/connectors.yaml),
   * `engine` by `source.engine`, `plugin` by `plugin:`/`custom_reader`/`custom_writer`.
   */
  selectedBy: 'connector' | 'engine' | 'plugin';
  /** The `connection` block this adapter reads. */
  configSchema: z.ZodType;
  capabilities: Caps;
}

export interface SourceAdapter extends AdapterRow<'source', SourceCapabilities> {
  open(ctx: SourceContext, config: ResolvedSource): Promise<Source>;
}

export interface SinkAdapter extends AdapterRow<'sink', SinkCapabilities> {
  open(ctx: SinkContext, config: ResolvedTarget): Promise<Sink>;
  /** Where the target writes, for reports and lock keys (never includes credentials). */
  location(job: ResolvedJob): Promise<string | undefined>;
  /** Can we write where the job points, without writing data? */
  check(job: ResolvedJob): Promise<CheckResult>;
  /** Table targets only: the catalog, table and storage a job writes, for maintenance commands. */
  openTable?(job: ResolvedJob): Promise<IcebergTarget>;
  /**
   * File targets only (local, s3, minio): the store under the job's target, where a writer
   * plugin's outputs are staged and committed by the same protocol as Parquet files.
   */
  openStore?(job: ResolvedJob): Promise<TargetStore>;
}

/** A target's object store; `close` releases its sockets once the run is over. */
export type TargetStore = ObjectStore & { close?(): void };

export type Adapter = SourceAdapter | SinkAdapter;

/** A connector of registry/connectors.yaml that this build knows about and does not run, and why. */
export interface Refusal {
  name: string;
  kind: 'source' | 'sink';
  reason: string;
}
