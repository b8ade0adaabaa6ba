/**
 * Architecture §6: the committed record is the source of truth for state; the state file is only a
 * cache of it. A crash between publishing data and writing the file (or a file edited by hand) is
 * repaired here at the start of every run.
 */
import type { CommitRecord } from '../sinks/sink.js';
import type { SourceState } from '../sources/source.js';
import type { StateStore } from './store.js';

export async function reconcileState(
  fileState: SourceState,
  committed: CommitRecord | undefined,
  store: Pick<StateStore, 'write'>,
): Promise<SourceState> {
  if (!committed) return fileState;
  if (canonical(committed.state) !== canonical(fileState)) await store.write(committed.state);
  return committed.state;
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
