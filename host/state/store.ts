/**
 * One job's state file. The layout (`file_<id|path>` → {...}, `{object}.{cursor}` → {...}) belongs to
 * the sources; here it is opaque JSON. Writes are atomic: a reader sees the old file or the new one,
 * never half of either, even if the process dies mid-write.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { DativoError } from '../errors.js';
import { backupOriginalState, checkStateEntries } from './original.js';
import type { SourceState } from './types.js';

export interface StateStore {
  readonly path: string;
  /** The stored state; `{}` when the file does not exist yet. */
  read(): Promise<SourceState>;
  /** Replace the state atomically (temp file in the same folder, fsync, rename, fsync folder). */
  write(state: SourceState): Promise<void>;
}

export function createStateStore(statePath: string): StateStore {
  return {
    path: statePath,
    read: () => readState(statePath),
    // The first write over an original-format file keeps a copy of it (the migration's backup).
    write: async (state) => {
      await backupOriginalState(statePath);
      await writeJsonAtomic(statePath, state);
    },
  };
}

export async function readState(statePath: string): Promise<SourceState> {
  let text: string;
  try {
    text = await readFile(statePath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupt(statePath, `is not valid JSON (${(err as Error).message})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw corrupt(statePath, 'does not hold a JSON object');
  }
  checkStateEntries(value as SourceState, statePath);
  return value as SourceState;
}

function corrupt(file: string, why: string): DativoError {
  return new DativoError(
    'STATE_CORRUPT',
    `state file ${file} ${why}; the last commit record is the source of truth: delete the file to rebuild it from there, or fix it by hand`,
    { location: { file } },
  );
}

/** Write JSON so that `file` is replaced in one step. Also used for lock-free caches next to state. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  // Same folder, so rename stays on one filesystem and is atomic; unique, so concurrent writers never share it.
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o644);
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await syncDir(dir);
}

/** Make the rename itself durable. Some platforms cannot open a folder for fsync; that is not fatal. */
async function syncDir(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EPERM on some platforms: the data itself is already synced.
  } finally {
    await handle?.close().catch(() => {});
  }
}
