/**
 * One test suite for every store backend: SQLite (tests/unit/store/sqlite.test.ts) and PostgreSQL
 * (tests/integration/store/postgres.test.ts) must give the same answers to the same calls.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryStore, RunEntry } from '../../../host/store/types.js';

export function sampleRun(over: Partial<RunEntry> = {}): RunEntry {
  return {
    id: 'r1',
    job: 'orders',
    jobFile: '/jobs/orders.yaml',
    tenant: 'acme',
    trigger: 'cli',
    origin: 'cli',
    host: 'box:1',
    status: 'succeeded',
    exitCode: 0,
    startedAt: '2026-01-01T10:00:00.000Z',
    finishedAt: '2026-01-01T10:00:05.000Z',
    durationMs: 5000,
    attempts: 1,
    rows: { read: 10, written: 9, invalid: 1 },
    // More than 2^31: a bigint column, read back as a number by both backends.
    bytes: { read: 5_000_000_000, written: 3_000_000_000 },
    streams: [
      {
        name: 'orders',
        status: 'succeeded',
        rows: { read: 10, written: 9, invalid: 1 },
        bytes: { read: 100, written: 80 },
        files: 1,
      },
    ],
    files: [{ key: 'out/orders/part-0.parquet', rows: 9, bytes: 80 }],
    stateBefore: { cursor: 1 },
    stateAfter: { cursor: 10 },
    peakRssMb: 123,
    ...over,
  };
}

export function storeSuite(name: string, open: () => Promise<HistoryStore>): void {
  describe(`${name} store`, () => {
    it('saves a run and reads back exactly what was saved; a second save replaces it', async () => {
      const store = await open();
      try {
        await store.saveRun(sampleRun({ status: 'running', finishedAt: undefined, exitCode: undefined }));
        expect((await store.getRun('r1'))?.status).toBe('running');
        expect((await store.getRun('r1'))?.finishedAt).toBeUndefined();
        await store.saveRun(sampleRun());
        expect(await store.getRun('r1')).toEqual(sampleRun());
        expect(await store.getRun('nope')).toBeUndefined();
      } finally {
        await store.close();
      }
    });

    it('lists newest first, filtered by job, status and start time', async () => {
      const store = await open();
      try {
        await store.saveRun(sampleRun({ id: 'a', startedAt: '2026-01-01T01:00:00.000Z' }));
        await store.saveRun(
          sampleRun({ id: 'b', job: 'users', status: 'failed', startedAt: '2026-01-02T01:00:00.000Z' }),
        );
        await store.saveRun(sampleRun({ id: 'c', startedAt: '2026-01-03T01:00:00.000Z' }));
        expect((await store.listRuns()).map((r) => r.id)).toEqual(['c', 'b', 'a']);
        expect((await store.listRuns({ job: 'orders' })).map((r) => r.id)).toEqual(['c', 'a']);
        expect((await store.listRuns({ status: 'failed' })).map((r) => r.id)).toEqual(['b']);
        expect((await store.listRuns({ since: new Date('2026-01-02T00:00:00Z') })).map((r) => r.id)).toEqual([
          'c',
          'b',
        ]);
        expect((await store.listRuns({ limit: 1 })).map((r) => r.id)).toEqual(['c']);
      } finally {
        await store.close();
      }
    });

    it('keeps log lines per run in order across appends', async () => {
      const store = await open();
      try {
        const line = (m: string) => ({
          at: '2026-01-01T00:00:00.000Z',
          level: 'warn',
          message: m,
          line: `{"m":"${m}"}`,
        });
        await store.appendLogs('x', [line('one'), line('two')]);
        await store.appendLogs('x', [line('three')]);
        await store.appendLogs('y', [line('other')]);
        expect((await store.runLogs('x')).map((l) => l.message)).toEqual(['one', 'two', 'three']);
        expect(await store.runLogs('none')).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it('retention: prune deletes finished runs (and their logs) started before the cutoff, not running ones', async () => {
      const store = await open();
      try {
        await store.saveRun(sampleRun({ id: 'old', startedAt: '2025-01-01T00:00:00.000Z' }));
        await store.saveRun(
          sampleRun({
            id: 'old-running',
            status: 'running',
            finishedAt: undefined,
            startedAt: '2025-01-01T00:00:00.000Z',
          }),
        );
        await store.saveRun(sampleRun({ id: 'new', startedAt: '2026-06-01T00:00:00.000Z' }));
        await store.appendLogs('old', [{ at: 'x', level: 'error', message: 'm', line: '{}' }]);
        expect(await store.prune(new Date('2026-01-01T00:00:00Z'))).toBe(1);
        expect((await store.listRuns()).map((r) => r.id).sort()).toEqual(['new', 'old-running']);
        expect(await store.runLogs('old')).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it('state cache: read what was written, undefined when absent', async () => {
      const store = await open();
      try {
        expect(await store.readState('acme/orders')).toBeUndefined();
        await store.writeState('acme/orders', { cursor: '2026-01-01', n: 3 });
        await store.writeState('acme/orders', { cursor: '2026-01-02', n: 4 });
        expect(await store.readState('acme/orders')).toEqual({ cursor: '2026-01-02', n: 4 });
      } finally {
        await store.close();
      }
    });

    it('locks: nothing twice — a second holder is refused with STATE_LOCKED naming the holder; release frees it; fences grow', async () => {
      const a = await open();
      const b = await open();
      try {
        const first = await a.acquireLock('acme/orders@out', { holder: 'worker-a', ttlMs: 3000 });
        await expect(b.acquireLock('acme/orders@out', { holder: 'worker-b' })).rejects.toMatchObject({
          code: 'STATE_LOCKED',
          message: expect.stringContaining('worker-a'),
        });
        // Another job is not blocked.
        const other = await b.acquireLock('acme/users@out', { holder: 'worker-b' });
        await other.release();
        await first.release();
        const second = await b.acquireLock('acme/orders@out', { holder: 'worker-b' });
        expect(second.fence).toBeGreaterThan(first.fence);
        expect(second.lost.aborted).toBe(false);
        await second.release();
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('locks: two runs racing for one job — exactly one wins; the waiter gets it once released', async () => {
      const a = await open();
      const b = await open();
      try {
        const results = await Promise.allSettled([
          a.acquireLock('acme/race', { holder: 'a' }),
          b.acquireLock('acme/race', { holder: 'b' }),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        expect(won).toHaveLength(1);
        const holder = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<HistoryStore['acquireLock']>>>)
          .value;
        const loser = results[0].status === 'fulfilled' ? b : a;
        const waiter = loser.acquireLock('acme/race', { holder: 'late', waitMs: 5000, pollMs: 50 });
        setTimeout(() => void holder.release(), 300);
        const late = await waiter;
        expect(late.fence).toBeGreaterThan(holder.fence);
        await late.release();
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
