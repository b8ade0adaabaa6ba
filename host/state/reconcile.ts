/**
 * Architecture §6: the committed record is the source of truth for state; the state file is only a
 * cache of it. A crash between publishing data and writing the file (or a file edited by hand) is
 * repaired here at the start of every run.
 */
import type { StateStore } from './store.js';
import { CACHED_COMMIT_KEY, type CommittedState, type SourceState } from './types.js';

/** What the state file holds after a commit: the record's state, and which commit it came from. */
export function stateFileOf(record: CommittedState): SourceState {
  return { ...record.state, [CACHED_COMMIT_KEY]: record.runId };
}

export async function reconcileState(
  fileState: SourceState,
  committed: CommittedState | undefined,
  store: Pick<StateStore, 'write'>,
): Promise<SourceState> {
  if (committed) {
    const cached = stateFileOf(committed);
    if (canonical(cached) !== canonical(fileState)) await store.write(cached);
    return committed.state;
  }
  // The target has no commit of this job. A state file that caches one of ours describes data that
  // is gone (the output was deleted, or the job now points elsewhere): start over rather than
  // report "nothing new" for data that is not there. A file without the marker comes from the
  // original system and is kept, so migrated jobs do not re-ingest everything.
  if (typeof fileState[CACHED_COMMIT_KEY] === 'string') {
    await store.write({});
    return {};
  }
  return fileState;
}

/** JSON with sorted keys, so key order alone never counts as a difference. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
