/**
 * `dativo.lock`: what is installed, exactly. One entry per plugin name: the version, where it came
 * from, the manifest digest, the signer's key id, the capabilities that were approved, and the
 * sha256 of every installed file. The folder holding dativo.lock is the project; installed plugins
 * live in `<project>/dativo-plugins/<name>/` unless --plugins-dir says otherwise.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DativoError } from '../errors.js';

export const LOCK_FILE = 'dativo.lock';
export const DEFAULT_PLUGINS_DIR = 'dativo-plugins';
/** Inside an installed plugin folder: the signed manifest and its signature (for `verify`). */
export const PROVENANCE_DIR = '.dativo';

const entrySchema = z.strictObject({
  version: z.string(),
  /** The range the user asked for (what `update` stays within). */
  range: z.string(),
  source: z.enum(['registry', 'oci-layout', 'dir']),
  /** Registry URL with repository (http://host:port/repo), layout folder, or source folder. */
  location: z.string(),
  digest: z.string(),
  abi: z.string(),
  key_id: z.string().optional(),
  capabilities: z.record(z.string(), z.unknown()),
  /** The plugin folder, relative to the lock file's folder. */
  path: z.string(),
  files: z.record(z.string(), z.string()),
});

const lockSchema = z.strictObject({
  lockfile_version: z.literal(1),
  plugins: z.record(z.string(), entrySchema),
});

export type LockEntry = z.output<typeof entrySchema>;
export type LockFile = z.output<typeof lockSchema>;

/** The project folder: the nearest folder from `start` upwards that holds dativo.lock, else `start`. */
export function findProject(start: string): { dir: string; exists: boolean } {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, LOCK_FILE))) return { dir, exists: true };
    const up = path.dirname(dir);
    if (up === dir) return { dir: path.resolve(start), exists: false };
    dir = up;
  }
}

export function readLock(projectDir: string): LockFile {
  const file = path.join(projectDir, LOCK_FILE);
  if (!existsSync(file)) return { lockfile_version: 1, plugins: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DativoError('CONFIG_INVALID', `${file} is not valid JSON: ${(e as Error).message}`, {
      location: { file },
    });
  }
  const res = lockSchema.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0];
    throw new DativoError('CONFIG_INVALID', `${file}: ${issue?.path.join('.')}: ${issue?.message}`, {
      location: { file, keyPath: issue?.path.join('.') ?? '' },
    });
  }
  return res.data;
}

/** Canonical text: sorted plugin names, so the same lock always writes the same bytes. */
export function lockText(lock: LockFile): string {
  const plugins = Object.fromEntries(
    Object.keys(lock.plugins)
      .sort()
      .map((k) => [k, lock.plugins[k]]),
  );
  return `${JSON.stringify({ lockfile_version: 1, plugins }, null, 2)}\n`;
}

/** Write through a temp file and rename, so a reader never sees half a lock. */
export function writeLock(projectDir: string, lock: LockFile): void {
  mkdirSync(projectDir, { recursive: true });
  const file = path.join(projectDir, LOCK_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, lockText(lock));
  renameSync(tmp, file);
}

/** --frozen: refuse when the lock would change, naming the plugin. */
export function assertFrozen(before: LockFile, after: LockFile, frozen: boolean, projectDir: string): void {
  if (!frozen || lockText(before) === lockText(after)) return;
  const names = new Set([...Object.keys(before.plugins), ...Object.keys(after.plugins)]);
  const changed = [...names].filter(
    (n) => JSON.stringify(before.plugins[n]) !== JSON.stringify(after.plugins[n]),
  );
  throw new DativoError(
    'CONFIG_INVALID',
    `--frozen: ${path.join(projectDir, LOCK_FILE)} would change (${changed.join(', ')}); nothing was installed or removed`,
    { location: { file: path.join(projectDir, LOCK_FILE) } },
  );
}
