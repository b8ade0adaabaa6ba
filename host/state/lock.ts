/**
 * One lock per state file: `<statePath>.lock`, created exclusively. It records who holds it (pid, the
 * process start time, host) so a lock left by a dead run is recognised and taken over, and a reused
 * pid is not mistaken for the old holder.
 *
 * Taking over a stale lock happens under a short-lived guard file (`<lock>.takeover`, created
 * exclusively): only the guard's holder may delete a lock, and only after re-reading it and finding the
 * same stale holder. So of two processes that both find a stale lock, exactly one gets it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, open, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DativoError } from '../errors.js';

export interface LockInfo {
  pid: number;
  /** Process start time in clock ticks since boot (/proc/<pid>/stat field 22); null off Linux. */
  startTime: string | null;
  host: string;
  acquiredAt: string;
  /** Unique per acquisition, so release() only removes the lock it created. */
  token: string;
}

export interface Lock {
  readonly path: string;
  readonly info: LockInfo;
  /** Remove the lock if it is still ours. Idempotent. */
  release(): Promise<void>;
  /** The same, synchronously, for `process.on('exit')` handlers. */
  releaseSync(): void;
}

export interface AcquireLockOptions {
  /** An unreadable lock younger than this is assumed to be being written (default 10 s). */
  unreadableGraceMs?: number;
  /**
   * Called after a lock is judged stale and before it is taken over. A test seam: it lets a test play
   * a competing process that takes the lock over first.
   */
  beforeTakeover?: () => Promise<void> | void;
}

const ATTEMPTS = 50;

export function lockPathFor(statePath: string): string {
  return `${statePath}.lock`;
}

export async function acquireLock(statePath: string, options: AcquireLockOptions = {}): Promise<Lock> {
  const lockPath = lockPathFor(statePath);
  const grace = options.unreadableGraceMs ?? 10_000;
  await mkdir(path.dirname(lockPath), { recursive: true });
  const mine: LockInfo = {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    host: os.hostname(),
    acquiredAt: new Date().toISOString(),
    token: randomBytes(12).toString('hex'),
  };
  const body = `${JSON.stringify(mine)}\n`;

  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await createExclusive(lockPath, body)) return makeLock(lockPath, mine);
    const seen = await readLockFile(lockPath);
    if (seen === 'missing') continue; // released between our create and our read: try again
    if (seen === 'unreadable') {
      if ((await ageMs(lockPath)) < grace) {
        await sleep(20 + Math.random() * 30);
        continue;
      }
    } else if (holderState(seen) !== 'dead') {
      throw lockedError(lockPath, seen);
    }
    // Stale: take it over under the guard.
    await options.beforeTakeover?.();
    const guardPath = `${lockPath}.takeover`;
    if (await createExclusive(guardPath, body)) {
      try {
        const now = await readLockFile(lockPath);
        if (now === 'missing' || sameLock(now, seen)) {
          await unlink(lockPath).catch(ignoreMissing);
          if (await createExclusive(lockPath, body)) return makeLock(lockPath, mine);
        }
      } finally {
        await unlink(guardPath).catch(ignoreMissing);
      }
    } else {
      // Another process is taking over. Its guard lives milliseconds unless it died holding it.
      const guard = await readLockFile(guardPath);
      const deadGuard =
        typeof guard === 'object'
          ? holderState(guard) === 'dead'
          : guard === 'unreadable' && (await ageMs(guardPath)) >= grace;
      if (deadGuard) await unlink(guardPath).catch(ignoreMissing);
      await sleep(10 + Math.random() * 40);
    }
  }
  const last = await readLockFile(lockPath);
  if (typeof last === 'object') throw lockedError(lockPath, last);
  throw new DativoError(
    'STATE_LOCKED',
    `could not acquire the lock ${lockPath}; another run of this job is in progress`,
    {
      location: { file: lockPath },
      retryable: true,
    },
  );
}

function makeLock(lockPath: string, info: LockInfo): Lock {
  let released = false;
  return {
    path: lockPath,
    info,
    async release() {
      if (released) return;
      released = true;
      const current = await readLockFile(lockPath);
      if (typeof current === 'object' && current.token === info.token) {
        await unlink(lockPath).catch(ignoreMissing);
      }
    },
    releaseSync() {
      if (released) return;
      released = true;
      try {
        const current = JSON.parse(readFileSync(lockPath, 'utf8')) as Partial<LockInfo>;
        if (current.token === info.token) unlinkSync(lockPath);
      } catch {
        // Gone or unreadable: not ours to remove.
      }
    },
  };
}

/**
 * Create `file` with `body` only if it does not exist. The content is written to a private temp file
 * first and hard-linked into place, so the lock never exists half-written; where hard links are not
 * supported, `open(..., 'wx')` gives the same exclusivity.
 */
async function createExclusive(file: string, body: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, body, { flag: 'wx' });
  try {
    await link(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw err;
  } finally {
    await unlink(tmp).catch(ignoreMissing);
  }
  try {
    const handle = await open(file, 'wx');
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function readLockFile(file: string): Promise<LockInfo | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid !== 'number' || typeof v.host !== 'string') return 'unreadable';
    return {
      pid: v.pid,
      startTime: typeof v.startTime === 'string' ? v.startTime : null,
      host: v.host,
      acquiredAt: typeof v.acquiredAt === 'string' ? v.acquiredAt : 'an unknown time',
      token: typeof v.token === 'string' ? v.token : '',
    };
  } catch {
    return 'unreadable';
  }
}

function sameLock(a: LockInfo | 'unreadable', b: LockInfo | 'unreadable'): boolean {
  if (a === 'unreadable' || b === 'unreadable') return a === b;
  return (
    a.pid === b.pid &&
    a.startTime === b.startTime &&
    a.host === b.host &&
    a.token === b.token &&
    a.acquiredAt === b.acquiredAt
  );
}

/**
 * 'alive' — same pid and same start time on this host; 'dead' — no such process, or the pid now
 * belongs to a process started at another time; 'unknown' — held from another host, where we cannot
 * look, so it counts as held.
 */
export function holderState(info: LockInfo): 'alive' | 'dead' | 'unknown' {
  if (info.host !== os.hostname()) return 'unknown';
  const start = processStartTime(info.pid);
  if (start !== null) return info.startTime === null || info.startTime === start ? 'alive' : 'dead';
  if (hasProcFs()) return 'dead'; // /proc is there but the pid is not
  try {
    process.kill(info.pid, 0);
    return 'alive';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'alive' : 'dead';
  }
}

/**
 * Start time of a process: field 22 of /proc/<pid>/stat, in clock ticks since boot. The second field
 * (the command name) may contain spaces and parentheses, so fields are counted after the last `)`.
 * Null when the process does not exist or there is no /proc.
 */
export function processStartTime(pid: number): string | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // `rest[0]` is field 3 (state), so field 22 is rest[19].
  return rest[19] ?? null;
}

let procFs: boolean | undefined;
function hasProcFs(): boolean {
  procFs ??= processStartTime(process.pid) !== null;
  return procFs;
}

function lockedError(lockPath: string, holder: LockInfo): DativoError {
  const where = holder.host === os.hostname() ? '' : ` on host ${holder.host}`;
  const hint =
    holder.host === os.hostname()
      ? ''
      : ' (if that run is gone, delete the lock file by hand: its host cannot be checked from here)';
  return new DativoError(
    'STATE_LOCKED',
    `another run of this job is in progress: ${lockPath} is held by pid ${holder.pid}${where} since ${holder.acquiredAt}${hint}`,
    {
      location: { file: lockPath },
      retryable: true,
      details: { lockFile: lockPath, pid: holder.pid, host: holder.host, acquiredAt: holder.acquiredAt },
    },
  );
}

async function ageMs(file: string): Promise<number> {
  try {
    return Date.now() - (await stat(file)).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
