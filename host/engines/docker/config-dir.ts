/**
 * The only way a connector receives configuration and secrets: files in a fresh temporary
 * directory, bind-mounted read-only. When the host runs as root the directory is owned by the
 * container's user and closed to everyone else (0500/0400), so other host users cannot read the
 * secrets in it; otherwise it must be world-readable for the container's non-root user.
 * Removed on dispose, whatever happened.
 */
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface ConfigDir {
  /** Host path of the directory. */
  dir: string;
  /** Writes `name` (JSON for non-strings); names are plain file names. Returns the host path. */
  write(name: string, content: unknown): Promise<string>;
  dispose(): Promise<void>;
}

export interface ConfigDirOptions {
  /** The container's uid:gid (default 65534:65534, nobody). */
  uid?: number;
  gid?: number;
}

export async function createConfigDir(opts: ConfigDirOptions = {}): Promise<ConfigDir> {
  const uid = opts.uid ?? 65534;
  const gid = opts.gid ?? 65534;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-engine-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    await chown(dir, uid, gid);
    await chmod(dir, 0o500);
  } else await chmod(dir, 0o755);
  return {
    dir,
    async write(name, content) {
      if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.')) {
        throw new Error(`bad config file name ${name}`);
      }
      const file = path.join(dir, name);
      const text = typeof content === 'string' ? content : JSON.stringify(content);
      // Root writes into the 0500 directory regardless of its mode.
      await writeFile(file, text, { mode: asRoot ? 0o400 : 0o644 });
      if (asRoot) await chown(file, uid, gid);
      return file;
    },
    async dispose() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
