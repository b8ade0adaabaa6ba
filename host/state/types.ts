/** The types of incremental state, owned here so that sources and sinks import down to them. */

/** What a source checkpoints and reads back next run: its own JSON-serialisable cursor map. */
export type SourceState = Record<string, unknown>;

/** The part of a sink's commit record that state is reconciled from (sinks/sink.ts CommitRecord). */
export interface CommittedState {
  runId: string;
  state: SourceState;
}

/**
 * The key under which a state file names the commit it caches (the original's files have none).
 * Here rather than in reconcile.ts so that original.ts, which store.ts imports, needs no cycle.
 */
export const CACHED_COMMIT_KEY = '_dativo_commit';
