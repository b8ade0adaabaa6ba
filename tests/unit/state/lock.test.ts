import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DativoError } from '../../../host/errors.js';
import { acquireLock, processStartTime } from '../../../host/state/lock.js';

const run = promisify(execFile);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'dativo-lock-'));
const childScript = fileURLToPath(new URL('./lock-child.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const children: ChildProcess[] = [];
let n = 0;

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function freshStatePath(): string {
  n += 1;
  return path.join(tmp, `job${n}`, 'csv.employee.state.json');
}

function writeLock(statePath: string, info: Record<string, unknown>): void {
  const dir = path.dirname(statePath);
  ensureDir(dir);
  writeFileSync(`${statePath}.lock`, JSON.stringify(info));
}

function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

async function spawnSleeper(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(()=>{},60000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  return child;
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

describe('acquireLock', () => {
  it('creates <state>.lock holding pid, start time, host and time; release removes it', async () => {
    const statePath = freshStatePath();
    const lock = await acquireLock(statePath);
    const info = JSON.parse(readFileSync(`${statePath}.lock`, 'utf8'));
    expect(info.pid).toBe(process.pid);
    expect(info.startTime).toBe(processStartTime(process.pid));
    expect(info.startTime).toMatch(/^\d+$/);
    expect(info.host).toBe(os.hostname());
    expect(Date.parse(info.acquiredAt)).toBeGreaterThan(Date.now() - 60_000);
    await lock.release();
    expect(existsSync(`${statePath}.lock`)).toBe(false);
    await lock.release(); // idempotent
    lock.releaseSync();
    // Nothing but the (absent) lock was ever left in the folder.
    expect(readdirSync(path.dirname(statePath))).toEqual([]);
  });

  it('refuses with STATE_LOCKED while a live process holds it', async () => {
    const statePath = freshStatePath();
    const holder = await spawnSleeper();
    const since = '2026-01-02T03:04:05.000Z';
    writeLock(statePath, {
      pid: holder.pid,
      startTime: processStartTime(holder.pid as number),
      host: os.hostname(),
      acquiredAt: since,
      token: 'theirs',
    });
    const err = (await acquireLock(statePath).catch((e: unknown) => e)) as DativoError;
    expect(err).toBeInstanceOf(DativoError);
    expect(err.code).toBe('STATE_LOCKED');
    expect(err.message).toContain(`${statePath}.lock`);
    expect(err.message).toContain(`pid ${holder.pid}`);
    expect(err.message).toContain(since);
    expect(err.message).toContain('another run of this job is in progress');
    expect(err.retryable).toBe(true);
    // The holder's lock is untouched.
    expect(JSON.parse(readFileSync(`${statePath}.lock`, 'utf8')).token).toBe('theirs');
  });

  it('a second acquire in the same live process is refused too', async () => {
    const statePath = freshStatePath();
    const lock = await acquireLock(statePath);
    await expect(acquireLock(statePath)).rejects.toMatchObject({ code: 'STATE_LOCKED' });
    await lock.release();
  });

  it('takes over a lock whose pid no longer exists', async () => {
    const statePath = freshStatePath();
    const pid = await deadPid();
    writeLock(statePath, { pid, startTime: '12345', host: os.hostname(), acquiredAt: 'x', token: 'old' });
    const lock = await acquireLock(statePath);
    const info = JSON.parse(readFileSync(`${statePath}.lock`, 'utf8'));
    expect(info.pid).toBe(process.pid);
    expect(info.token).toBe(lock.info.token);
    await lock.release();
    expect(readdirSync(path.dirname(statePath))).toEqual([]);
  });

  it('takes over a lock whose pid is alive but was reused (start time differs)', async () => {
    const statePath = freshStatePath();
    const other = await spawnSleeper();
    const realStart = processStartTime(other.pid as number);
    expect(realStart).not.toBeNull();
    writeLock(statePath, {
      pid: other.pid,
      startTime: String(Number(realStart) - 1000),
      host: os.hostname(),
      acquiredAt: 'x',
      token: 'old',
    });
    const lock = await acquireLock(statePath);
    expect(JSON.parse(readFileSync(`${statePath}.lock`, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over an unreadable lock once it is older than the grace period', async () => {
    const statePath = freshStatePath();
    writeLock(statePath, {});
    writeFileSync(`${statePath}.lock`, '');
    const lock = await acquireLock(statePath, { unreadableGraceMs: 0 });
    expect(JSON.parse(readFileSync(`${statePath}.lock`, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('never removes a lock that a competing process took over after it was seen stale', async () => {
    const statePath = freshStatePath();
    writeLock(statePath, {
      pid: await deadPid(),
      startTime: '1',
      host: os.hostname(),
      acquiredAt: 'x',
      token: 'stale',
    });
    const rival = await spawnSleeper();
    const rivalLock = {
      pid: rival.pid,
      startTime: processStartTime(rival.pid as number),
      host: os.hostname(),
      acquiredAt: '2026-05-06T07:08:09.000Z',
      token: 'rival',
    };
    const err = (await acquireLock(statePath, {
      // The rival wins the takeover between our staleness check and our own takeover.
      beforeTakeover: () => writeFileSync(`${statePath}.lock`, JSON.stringify(rivalLock)),
    }).catch((e: unknown) => e)) as DativoError;
    expect(err.code).toBe('STATE_LOCKED');
    expect(err.message).toContain(`pid ${rival.pid}`);
    expect(JSON.parse(readFileSync(`${statePath}.lock`, 'utf8')).token).toBe('rival');
    expect(readdirSync(path.dirname(statePath)).sort()).toEqual(['csv.employee.state.json.lock']);
  });

  it('release does not remove a lock that is no longer ours', async () => {
    const statePath = freshStatePath();
    const lock = await acquireLock(statePath);
    writeFileSync(`${statePath}.lock`, JSON.stringify({ ...lock.info, token: 'someone-else' }));
    await lock.release();
    expect(existsSync(`${statePath}.lock`)).toBe(true);
  });

  it('releaseSync removes our lock (for process exit handlers)', async () => {
    const statePath = freshStatePath();
    const lock = await acquireLock(statePath);
    lock.releaseSync();
    expect(existsSync(`${statePath}.lock`)).toBe(false);
    await lock.release();
  });
});

describe('acquireLock, many concurrent calls in one process', () => {
  it('on a stale lock, exactly one of 12 interleaved acquirers wins, the rest see STATE_LOCKED', async () => {
    for (let round = 0; round < 5; round++) {
      const statePath = freshStatePath();
      const pid = await deadPid();
      writeLock(statePath, { pid, startTime: '1', host: os.hostname(), acquiredAt: 'x', token: 'stale' });
      const settled = await Promise.allSettled(Array.from({ length: 12 }, () => acquireLock(statePath)));
      const won = settled.filter((s) => s.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const s of settled) {
        if (s.status === 'rejected') expect((s.reason as DativoError).code).toBe('STATE_LOCKED');
      }
      await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>).value.release();
      expect(readdirSync(path.dirname(statePath))).toEqual([]);
    }
  });
});

describe('acquireLock across processes', () => {
  async function race(statePath: string, count: number): Promise<{ won: boolean; code?: string }[]> {
    const startAt = Date.now() + 2500;
    const results = await Promise.all(
      Array.from({ length: count }, () =>
        run(process.execPath, ['--import', 'tsx', childScript, statePath, String(startAt), '1500'], {
          cwd: repoRoot,
          timeout: 25_000,
        }),
      ),
    );
    return results.map((r) => JSON.parse(r.stdout.trim()));
  }

  it('of concurrent acquirers with no lock present, exactly one wins', async () => {
    const statePath = freshStatePath();
    ensureDir(path.dirname(statePath));
    const results = await race(statePath, 4);
    expect(results.filter((r) => r.won)).toHaveLength(1);
    expect(results.filter((r) => !r.won).map((r) => r.code)).toEqual([
      'STATE_LOCKED',
      'STATE_LOCKED',
      'STATE_LOCKED',
    ]);
    expect(readdirSync(path.dirname(statePath))).toEqual([]);
  });

  it('of concurrent acquirers taking over a stale lock, exactly one wins', async () => {
    const statePath = freshStatePath();
    const pid = await deadPid();
    writeLock(statePath, { pid, startTime: '1', host: os.hostname(), acquiredAt: 'x', token: 'stale' });
    const results = await race(statePath, 4);
    expect(results.filter((r) => r.won)).toHaveLength(1);
    expect(results.filter((r) => !r.won).every((r) => r.code === 'STATE_LOCKED')).toBe(true);
    expect(readdirSync(path.dirname(statePath))).toEqual([]);
  });
});
