import * as fs from 'node:fs';
import * as path from 'node:path';
import { Int64, Utf8 } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFileSink, type FileCommitRequest, SimulatedCrash } from '../../../host/sinks/file-sink.js';
import { newRunId } from '../../../host/sinks/layout.js';
import { createLocalStore } from '../../../host/sinks/store/local.js';
import type { ObjectStore } from '../../../host/sinks/store/object-store.js';
import { batchOf, ctx, type Duck, duck, listFiles, T, tempDir, visibleGlob } from './helpers.js';

/** A local JSON-lines file of rejects, as the pipeline hands it to the sink. */
function rejectsFile(...lines: string[]): string {
  const file = path.join(tempDir(), 'rejects.jsonl');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

let db: Duck;
beforeAll(async () => {
  db = await duck();
});
afterAll(() => db.close());

function sinkOver(store: ObjectStore, partitionBy: string[] = []) {
  return createFileSink({
    store,
    layout: { assetName: 'orders' },
    partitionBy,
    compression: 'zstd',
    rowGroupSize: 500,
  });
}

/** Rows 0..n-1 split into batches; `grp` gives a few partitions when partitioned by it. */
function batches(n: number, per = 250) {
  const out = [];
  for (let s = 0; s < n; s += per) {
    const ids = Array.from({ length: Math.min(per, n - s) }, (_, i) => s + i);
    out.push(
      batchOf([
        { name: 'id', type: new Int64(), data: T.int64(ids.map(BigInt)) },
        { name: 'grp', type: new Utf8(), data: T.utf8(ids.map((i) => `g${i % 3}`)) },
      ]),
    );
  }
  return out;
}

async function visible(root: string): Promise<{ files: number; rows: number; ids: number }> {
  const files = Number((await db.one(`SELECT count(*)::INT AS n FROM glob('${visibleGlob(root)}')`)).n);
  if (files === 0) return { files, rows: 0, ids: 0 };
  const r = await db.one(
    `SELECT count(*)::INT AS rows, count(DISTINCT id)::INT AS ids FROM read_parquet('${visibleGlob(root)}')`,
  );
  return { files, rows: Number(r.rows), ids: Number(r.ids) };
}

async function stagedRun(
  store: ObjectStore,
  runId: string,
  n: number,
  crash: FileCommitRequest['_crashAfter'],
  job = 'job-a',
  partitionBy: string[] = [],
) {
  const sink = sinkOver(store, partitionBy);
  await sink.open(ctx(runId, job));
  for (const b of batches(n)) await sink.write(b);
  await expect(
    sink.commit({
      state: { cursor: n },
      rejectsFile: rejectsFile('{"line":3,"error":"bad"}'),
      _crashAfter: crash,
    }),
  ).rejects.toBeInstanceOf(SimulatedCrash);
}

describe('commit protocol (architecture §6)', () => {
  test('nothing is visible before commit; staged files never match the glob; staging is gone after', async () => {
    const root = tempDir();
    const store = createLocalStore(root);
    const sink = sinkOver(store);
    const runId = newRunId();
    await sink.open(ctx(runId));
    for (const b of batches(1000)) await sink.write(b);
    expect(await visible(root)).toEqual({ files: 0, rows: 0, ids: 0 });
    expect(sink.staged().map((f) => f.stagingKey)).toEqual([
      expect.stringMatching(new RegExp(`^_dativo/staging/${runId}/[0-9a-f-]{36}\\.parquet\\.part$`)),
    ]);
    const marker = JSON.parse(
      fs.readFileSync(path.join(root, '_dativo/staging', runId, '_job.json'), 'utf8'),
    );
    expect(marker).toMatchObject({ runId, job: 'job-a', tenant: 'acme' });

    const { record } = await sink.commit({
      state: { cursor: 'c1' },
      rejectsFile: rejectsFile('{"row":7}', '{"row":9}'),
    });
    expect(await visible(root)).toEqual({ files: 1, rows: 1000, ids: 1000 });
    expect(record).toMatchObject({
      runId,
      job: 'job-a',
      tenant: 'acme',
      status: 'done',
      rows: 1000,
      state: { cursor: 'c1' },
      rejectsKey: `_rejects/${runId}.jsonl`,
    });
    expect(fs.readFileSync(path.join(root, '_rejects', `${runId}.jsonl`), 'utf8')).toBe(
      '{"row":7}\n{"row":9}\n',
    );
    expect(
      JSON.parse(fs.readFileSync(path.join(root, '_dativo/commits', `${runId}.json`), 'utf8')).status,
    ).toBe('done');
    expect(listFiles(root).filter((f) => f.startsWith('_dativo/staging'))).toEqual([]);
  });

  test('the conditional create refuses a second record for the same run id', async () => {
    const root = tempDir();
    const store = createLocalStore(root);
    const runId = newRunId();
    const a = sinkOver(store);
    await a.open(ctx(runId));
    await a.write(batches(10)[0]!);
    await a.commit({ state: { n: 1 } });

    const b = sinkOver(store);
    await b.open(ctx(runId));
    await b.write(batches(20)[0]!);
    await expect(b.commit({ state: { n: 2 } })).rejects.toMatchObject({
      code: 'COMMIT_FAILED',
      message: `a commit record for run ${runId} already exists in ${root}`,
    });
    expect(await visible(root)).toEqual({ files: 1, rows: 10, ids: 10 });
    const rec = JSON.parse(fs.readFileSync(path.join(root, '_dativo/commits', `${runId}.json`), 'utf8'));
    expect(rec.state).toEqual({ n: 1 });
  });

  test('crash after the record, before publishing → next open() rolls forward; rows visible exactly once', async () => {
    const root = tempDir();
    const store = createLocalStore(root);
    const run1 = newRunId();
    await stagedRun(store, run1, 1000, 'record', 'job-a', ['grp']);
    expect(await visible(root)).toEqual({ files: 0, rows: 0, ids: 0 });

    const next = sinkOver(store, ['grp']);
    const report = await next.open(ctx(newRunId()));
    expect(report.rolledForward).toEqual([run1]);
    expect(report.cleaned).toEqual([]);
    expect(report.latest).toMatchObject({ runId: run1, status: 'done', rows: 1000, state: { cursor: 1000 } });
    expect(await visible(root)).toEqual({ files: 3, rows: 1000, ids: 1000 });
    expect(fs.existsSync(path.join(root, '_rejects', `${run1}.jsonl`))).toBe(true);
    expect(fs.existsSync(path.join(root, '_dativo/staging', run1))).toBe(false);

    // A further start changes nothing: roll-forward happened once.
    const again = await sinkOver(store).open(ctx(newRunId()));
    expect(again.rolledForward).toEqual([]);
    expect(await visible(root)).toEqual({ files: 3, rows: 1000, ids: 1000 });
    await next.abort('done');
  });

  test('crash half-way through publishing → roll-forward publishes the rest, no duplicates', async () => {
    const root = tempDir();
    const store = createLocalStore(root);
    const run1 = newRunId();
    await stagedRun(store, run1, 900, 'publish', 'job-a', ['grp']);
    const partial = await visible(root);
    expect(partial.files).toBe(1);
    expect(partial.rows).toBe(300);

    const report = await sinkOver(store).open(ctx(newRunId()));
    expect(report.rolledForward).toEqual([run1]);
    expect(await visible(root)).toEqual({ files: 3, rows: 900, ids: 900 });
  });

  test('crash before the record → next open() deletes the staging; nothing visible', async () => {
    const root = tempDir();
    const store = createLocalStore(root);
    const run1 = newRunId();
    await stagedRun(store, run1, 500, 'staged');
    expect(
      listFiles(root).some((f) => f.startsWith(`_dativo/staging/${run1}/`) && f.endsWith('.parquet.part')),
    ).toBe(true);

    const report = await sinkOver(store).open(ctx(newRunId()));
    expect(report).toEqual({ rolledForward: [], cleaned: [run1] });
    expect(fs.existsSync(path.join(root, '_dativo/staging', run1))).toBe(false);
    expect(await visible(root)).toEqual({ files: 0, rows: 0, ids: 0 });
    expect(fs.existsSync(path.join(root, '_rejects'))).toBe(false);
  });

  test("another job's staging and pending record in the same directory are left alone", async () => {
    const root = tempDir();
    const store = createLocalStore(root);
    const otherStaged = newRunId();
    const otherRecorded = newRunId();
    await stagedRun(store, otherStaged, 100, 'staged', 'job-b');
    await stagedRun(store, otherRecorded, 100, 'record', 'job-c');

    const mine = await sinkOver(store).open(ctx(newRunId(), 'job-a'));
    expect(mine).toEqual({ rolledForward: [], cleaned: [] });
    expect(fs.existsSync(path.join(root, '_dativo/staging', otherStaged))).toBe(true);
    expect(fs.existsSync(path.join(root, '_dativo/staging', otherRecorded))).toBe(true);
    expect(await visible(root)).toEqual({ files: 0, rows: 0, ids: 0 });

    // A different tenant with the same job name is another job too.
    expect(await sinkOver(store).open(ctx(newRunId(), 'job-b', 'other-tenant'))).toEqual({
      rolledForward: [],
      cleaned: [],
    });

    expect(await sinkOver(store).open(ctx(newRunId(), 'job-b'))).toEqual({
      rolledForward: [],
      cleaned: [otherStaged],
    });
    const c = await sinkOver(store).open(ctx(newRunId(), 'job-c'));
    expect(c.rolledForward).toEqual([otherRecorded]);
    expect(await visible(root)).toEqual({ files: 1, rows: 100, ids: 100 });
  });

  test('abort removes the staging, stops the worker, and never touches published data', async () => {
    const root = tempDir();
    const store = createLocalStore(root);
    const first = sinkOver(store);
    await first.open(ctx(newRunId()));
    await first.write(batches(50)[0]!);
    await first.commit({ state: {} });
    const before = listFiles(root).filter((f) => f.endsWith('.parquet'));

    const sink = sinkOver(store);
    const runId = newRunId();
    await sink.open(ctx(runId));
    for (const b of batches(1000)) await sink.write(b);
    await sink.abort('user interrupt');
    expect(fs.existsSync(path.join(root, '_dativo/staging'))).toBe(false);
    expect(listFiles(root).filter((f) => f.endsWith('.parquet'))).toEqual(before);
    expect(await visible(root)).toEqual({ files: 1, rows: 50, ids: 50 });
    await expect(sink.write(batches(1)[0]!)).rejects.toThrow(/after commit or abort/);
  });

  test('latest is the most recent done record of this job only', async () => {
    const root = tempDir();
    const store = createLocalStore(root);
    const ids: string[] = [];
    for (const [job, cursor] of [
      ['job-a', 1],
      ['job-a', 2],
      ['job-b', 3],
    ] as const) {
      const runId = newRunId(new Date(Date.UTC(2026, 0, 1, 0, 0, cursor)));
      ids.push(runId);
      const s = sinkOver(store);
      await s.open(ctx(runId, job));
      await s.commit({ state: { cursor } });
    }
    const report = await sinkOver(store).open(ctx(newRunId(), 'job-a'));
    expect(report.latest).toMatchObject({ runId: ids[1], state: { cursor: 2 }, rows: 0, files: [] });
  });

  test('run ids sort by time', () => {
    const a = newRunId(new Date('2026-01-01T00:00:00.001Z'));
    const b = newRunId(new Date('2026-01-01T00:00:00.010Z'));
    const c = newRunId(new Date('2026-12-31T23:59:59.999Z'));
    expect(a).toMatch(/^r20260101T000000001-[0-9a-f]{6}$/);
    expect([c, a, b].sort()).toEqual([a, b, c]);
  });
});
