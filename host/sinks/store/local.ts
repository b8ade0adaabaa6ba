/**
 * ObjectStore over a local directory. Every write is temp + fsync + rename (or link for a
 * conditional create), so a crash leaves either the old object or the new one, never half of one;
 * directories are fsynced after a rename so the new name itself survives a power cut.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import {
  assertValidKey,
  ObjectNotFound,
  type ObjectStore,
  PreconditionFailed,
  type PutBytesOptions,
} from './object-store.js';

/** Temp files start with this and end in `.tmp`: list() hides them and no `*.parquet` glob sees them. */
const TMP_PREFIX = '.dativo-tmp-';

export interface LocalObjectStore extends ObjectStore {
  readonly root: string;
  localPath(key: string): Promise<string>;
}

export function createLocalStore(rootDir: string): LocalObjectStore {
  const root = path.resolve(rootDir);

  const pathOf = (key: string): string => {
    assertValidKey(key);
    return path.join(root, ...key.split('/'));
  };

  const tmpBeside = (file: string): string =>
    path.join(
      path.dirname(file),
      `${TMP_PREFIX}${randomBytes(6).toString('hex')}-${path.basename(file)}.tmp`,
    );

  return {
    location: root,
    root,

    async localPath(key) {
      const p = pathOf(key);
      await fsp.mkdir(path.dirname(p), { recursive: true });
      return p;
    },

    async putBytes(key, data, opts: PutBytesOptions = {}) {
      const dst = pathOf(key);
      await withParent(dst, async () => {
        const tmp = tmpBeside(dst);
        try {
          await writeDurably(tmp, data);
          if (opts.ifNoneMatch) {
            // link() is atomic and fails on an existing name: a conditional create that can never
            // expose a half-written record. Filesystems without hard links fall back to O_EXCL.
            try {
              await fsp.link(tmp, dst);
            } catch (e) {
              if (errno(e) === 'EEXIST') throw new PreconditionFailed(key);
              if (errno(e) !== 'EPERM' && errno(e) !== 'ENOTSUP' && errno(e) !== 'EXDEV') throw e;
              await createExclusive(dst, data, key);
            }
          } else {
            await fsp.rename(tmp, dst);
          }
        } finally {
          await fsp.rm(tmp, { force: true });
        }
        await fsyncDir(path.dirname(dst));
      });
    },

    async putFile(key, localPath) {
      const dst = pathOf(key);
      let bytes = 0;
      await withParent(dst, async () => {
        const tmp = tmpBeside(dst);
        try {
          await fsp.copyFile(localPath, tmp);
          const fh = await fsp.open(tmp, 'r+');
          try {
            await fh.sync();
            bytes = (await fh.stat()).size;
          } finally {
            await fh.close();
          }
          await fsp.rename(tmp, dst);
        } finally {
          await fsp.rm(tmp, { force: true });
        }
        await fsyncDir(path.dirname(dst));
      });
      return { bytes };
    },

    async get(key) {
      try {
        return new Uint8Array(await fsp.readFile(pathOf(key)));
      } catch (e) {
        if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
        throw e;
      }
    },

    async exists(key) {
      try {
        return (await fsp.stat(pathOf(key))).isFile();
      } catch (e) {
        if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return false;
        throw e;
      }
    },

    async list(prefix) {
      // Walk from the deepest directory the prefix names, then filter by string prefix (S3 semantics).
      const slash = prefix.lastIndexOf('/');
      const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
      const startDir = dirKey === '' ? root : pathOf(dirKey);
      const out: string[] = [];
      await walk(startDir, dirKey, out);
      return out.filter((k) => k.startsWith(prefix)).sort();
    },

    async publish(srcKey, dstKey) {
      const src = pathOf(srcKey);
      const dst = pathOf(dstKey);
      await withParent(dst, async () => {
        try {
          await fsp.rename(src, dst);
        } catch (e) {
          if (errno(e) === 'ENOENT' && !(await fileExists(src))) throw new ObjectNotFound(srcKey);
          throw e;
        }
      });
      await fsyncDir(path.dirname(dst));
      await pruneEmptyDirs(path.dirname(src), root);
    },

    async delete(key) {
      const p = pathOf(key);
      await fsp.rm(p, { force: true });
      await pruneEmptyDirs(path.dirname(p), root);
    },
  };
}

async function walk(dir: string, dirKey: string, out: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return;
    throw e;
  }
  for (const ent of entries) {
    if (ent.name.startsWith(TMP_PREFIX)) continue;
    const key = dirKey === '' ? ent.name : `${dirKey}/${ent.name}`;
    if (ent.isDirectory()) await walk(path.join(dir, ent.name), key, out);
    else if (ent.isFile()) out.push(key);
  }
}

/**
 * Run a write that needs its parent directory. A concurrent prune may remove an empty parent
 * between our mkdir and the write, so ENOENT is retried a few times.
 */
async function withParent(file: string, op: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await fsp.mkdir(path.dirname(file), { recursive: true });
    try {
      await op();
      return;
    } catch (e) {
      if (errno(e) !== 'ENOENT' || attempt >= 3) throw e;
    }
  }
}

async function writeDurably(file: string, data: Uint8Array): Promise<void> {
  const fh = await fsp.open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function createExclusive(file: string, data: Uint8Array, key: string): Promise<void> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY);
  } catch (e) {
    if (errno(e) === 'EEXIST') throw new PreconditionFailed(key);
    throw e;
  }
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic there.
  } finally {
    await fh?.close();
  }
}

/** Remove now-empty directories from `dir` up to (not including) `root`. */
async function pruneEmptyDirs(dir: string, root: string): Promise<void> {
  let cur = dir;
  while (cur.startsWith(root + path.sep)) {
    try {
      await fsp.rmdir(cur);
    } catch {
      return; // not empty, gone, or busy: stop here
    }
    cur = path.dirname(cur);
  }
}

async function fileExists(p: string): Promise<boolean> {
  try {
    await fsp.stat(p);
    return true;
  } catch {
    return false;
  }
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
