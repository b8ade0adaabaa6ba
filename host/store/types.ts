/**
 * The run history store: what every run (a `dativo run`, a scheduled run of `dativo start`, an
 * attempt taken by a `dativo worker`) leaves behind for `dativo runs` and the console, plus job
 * locks and a state cache for deployments without Redis. The commit records in the targets stay
 * the source of truth for incremental state (architecture §6); the store is a view of what ran.
 */

/** Where a run was executed from. */
export type RunOrigin = 'cli' | 'start' | 'worker';

export interface StreamSummary {
  name: string;
  status: string;
  rows: { read: number; written: number; invalid: number };
  bytes: { read: number; written: number };
  files: number;
}

/** One run as the store keeps it: searchable columns plus the detail the console shows. */
export interface RunEntry {
  id: string;
  job: string;
  jobFile: string;
  tenant: string;
  /** `cli`, `schedule`, `manual` (API/console trigger). */
  trigger: string;
  schedule?: string;
  origin: RunOrigin;
  /** The machine and process that executed it. */
  host: string;
  /** A run state (`running`, `queued`, ...) or a final status (`succeeded`, `failed`, ...). */
  status: string;
  exitCode?: number;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  attempts: number;
  rows: { read: number; written: number; invalid: number };
  bytes: { read: number; written: number };
  streams: StreamSummary[];
  /** Committed object keys (or data files of the Iceberg snapshot). */
  files: { key: string; rows: number; bytes: number }[];
  /** Iceberg: the snapshot id the commit created. */
  snapshot?: string;
  stateBefore?: unknown;
  stateAfter?: unknown;
  errorCode?: string;
  /** Masked: never a secret. */
  errorMessage?: string;
  peakRssMb?: number;
}

export interface LogLine {
  at: string;
  level: string;
  message: string;
  /** The whole structured line (masked JSON). */
  line: string;
}

export interface RunFilter {
  job?: string;
  status?: string;
  /** Runs started at or after this time. */
  since?: Date;
  limit?: number;
}

/** A job lock held in the store; `fence` grows with every new holder of the key. */
export interface StoreLock {
  readonly key: string;
  readonly fence: number;
  /** Aborted when the lock was lost (expired and taken, or the database connection died). */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export interface StoreLockOptions {
  /** Lease without renewal (default 30 s). */
  ttlMs?: number;
  /** How long to wait for a held lock before failing with STATE_LOCKED (default 0). */
  waitMs?: number;
  pollMs?: number;
  holder?: string;
}

export interface HistoryStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Where it lives, without credentials (for messages). */
  readonly where: string;
  /** Insert or replace a run (called at start and again at the end). */
  saveRun(run: RunEntry): Promise<void>;
  appendLogs(runId: string, lines: LogLine[]): Promise<void>;
  listRuns(filter?: RunFilter): Promise<RunEntry[]>;
  getRun(id: string): Promise<RunEntry | undefined>;
  runLogs(id: string): Promise<LogLine[]>;
  /** Delete finished runs (and their logs) that started before `before`; returns how many. */
  prune(before: Date): Promise<number>;
  readState(key: string): Promise<unknown | undefined>;
  writeState(key: string, value: unknown): Promise<void>;
  acquireLock(key: string, options?: StoreLockOptions): Promise<StoreLock>;
  close(): Promise<void>;
}
