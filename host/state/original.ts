/**
 * State files written by the original Python system (spec §3, §9). Same file layout and entry
 * shapes as ours, with two differences handled here:
 *
 * - `file_<path>` keys hold the path as the job wrote it (relative to the working directory),
 *   where we key by the resolved path. {@link adoptOriginalFileKeys} renames them in memory; the
 *   first successful commit then writes our key and drops theirs (the migration).
 * - The file has no `_dativo_commit` marker. Before our first write replaces such a file, a copy
 *   is kept next to it ({@link backupPathOf}), so a team can go back to the Python version.
 *
 * A state file whose entries cannot be understood is an error naming the file and the key: never
 * a silent fresh start that re-ingests everything.
 */
import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DativoError } from '../errors.js';
import { CACHED_COMMIT_KEY, type SourceState } from './types.js';

/** Where the untouched original state file is kept once we migrate it. */
export function backupPathOf(statePath: string): string {
  return `${statePath}.original.bak`;
}

/** True for a state written by the original system: entries, and no commit marker of ours. */
export function isOriginalState(state: SourceState): boolean {
  return Object.keys(state).length > 0 && typeof state[CACHED_COMMIT_KEY] !== 'string';
}

/**
 * Copies an original-format state file aside before it is first replaced. Existing backups are
 * kept (the first one is the original's). A missing or unreadable file needs no backup.
 */
export async function backupOriginalState(statePath: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(statePath, 'utf8');
  } catch {
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return;
  if (!isOriginalState(value as SourceState)) return;
  await copyFile(statePath, backupPathOf(statePath), 1 /* COPYFILE_EXCL: keep the first backup */).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    },
  );
}

function corruptEntry(file: string, key: string, why: string): DativoError {
  return new DativoError(
    'STATE_CORRUPT',
    `state file ${file}: entry "${key}" ${why}; fix or remove that entry (or delete the file to read everything again)`,
    { location: { file, keyPath: key } },
  );
}

function isTime(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  return typeof v === 'string' && !Number.isNaN(Date.parse(v.trim().replace(' ', 'T')));
}

/**
 * Checks the entries whose shape the spec fixes: `file_*`/`spreadsheet_*` → {last_modified}, and
 * cursor entries → {last_value: scalar}. Other keys (engine state, our markers) are left alone.
 */
export function checkStateEntries(state: SourceState, file: string): void {
  for (const [key, entry] of Object.entries(state)) {
    if (key === CACHED_COMMIT_KEY) continue;
    if (key.startsWith('file_') || key.startsWith('spreadsheet_')) {
      if (!entry || typeof entry !== 'object' || Array.isArray(entry))
        throw corruptEntry(file, key, 'is not an object with last_modified');
      const lm = (entry as Record<string, unknown>).last_modified;
      if (!isTime(lm))
        throw corruptEntry(file, key, `has last_modified ${JSON.stringify(lm)}, which is not a time`);
      continue;
    }
    if (entry && typeof entry === 'object' && !Array.isArray(entry) && 'last_value' in entry) {
      const v = (entry as Record<string, unknown>).last_value;
      if (v !== null && typeof v === 'object')
        throw corruptEntry(file, key, 'has a last_value that is not a single value');
    }
  }
}

/**
 * Renames original `file_<as written>` keys to ours (`file_<resolved path>`) for the files of this
 * run. A key matches a file when it resolves to the same path from the working directory (the
 * original's rule) or from the job's folder (ours). Keys of other files are left as they are.
 */
export function adoptOriginalFileKeys(
  state: SourceState,
  files: readonly { path: string; stateKey: string }[],
  bases: readonly string[],
): SourceState {
  const legacy = Object.keys(state).filter((k) => k.startsWith('file_') && !path.isAbsolute(k.slice(5)));
  if (legacy.length === 0) return state;
  const out: SourceState = { ...state };
  for (const f of files) {
    if (out[f.stateKey] !== undefined) continue;
    const match = legacy.find((k) => k in out && bases.some((b) => path.resolve(b, k.slice(5)) === f.path));
    if (!match) continue;
    out[f.stateKey] = out[match];
    delete out[match];
  }
  return out;
}
