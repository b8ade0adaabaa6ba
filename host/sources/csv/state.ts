/**
 * Incremental `file_modified_time` state (spec §9): `file_<id|path>` → {last_modified, file_id}.
 * We write UTC ISO with milliseconds; the original wrote naive local time (`2024-01-15T10:30:45.123456`),
 * which we still read: an ISO string without an offset is local time in JS too.
 */
import type { SourceState } from '../source.js';
import type { CsvFile } from './files.js';

export interface FileStateEntry {
  last_modified: string;
  file_id: string;
}

/** Milliseconds since the epoch of a stored `last_modified`, or undefined when unusable. */
export function storedTimeMs(entry: unknown): number | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const v = (entry as Record<string, unknown>).last_modified;
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v; // epoch s or ms
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v.trim().replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
}

/** Whole milliseconds: what we store, so a re-read file compares equal to its own entry. */
export function mtimeToIso(mtimeMs: number): string {
  return new Date(Math.floor(mtimeMs)).toISOString();
}

/** True when the file has not changed since the state entry (and there is no lookback). */
export function isUnchanged(file: CsvFile, state: SourceState, lookbackDays: number): boolean {
  if (lookbackDays > 0) return false;
  const stored = storedTimeMs(state[file.stateKey]);
  return stored !== undefined && Math.floor(file.mtimeMs) <= stored;
}

export function fileEntry(file: CsvFile): FileStateEntry {
  return { last_modified: mtimeToIso(file.mtimeMs), file_id: file.id ?? file.path };
}
