/**
 * Compaction (`replace` snapshot) and the S3 target's layout inside `<table>/data/`, on a local
 * warehouse, read back by independent readers: icebird (rows, manifests) and avsc's own file
 * decoder (manifest entries and their sequence numbers).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Utf8 } from 'apache-arrow';
import { icebergManifests, icebergMetadata, icebergRead } from 'icebird';
import { describe, expect, it } from 'vitest';
import { readManifestList } from '../../../host/iceberg/manifest.js';
import { parseTableMetadata, type TableMetadata } from '../../../host/iceberg/metadata.js';
import { compactTable } from '../../../host/sinks/iceberg/compact.js';
import { createIcebergSink, openIcebergTarget } from '../../../host/sinks/iceberg/index.js';
import { decodeIndependently } from './avsc-reader.js';
import { ctx, icebergJob, people, sharedEncoderWithFileFetch, tempDir, utf8Data } from './helpers.js';

const encoder = sharedEncoderWithFileFetch();

const withRegion = (ids: number[], regions: (string | null)[]) =>
  people(ids, [{ name: 'region', type: new Utf8(), data: utf8Data(regions) }]);

async function append(job: ReturnType<typeof icebergJob>, runId: string, batch: ReturnType<typeof people>) {
  const sink = await createIcebergSink(job, { runId, kvMetadata: {} }, { encoder });
  await sink.open(ctx(runId));
  await sink.write(batch);
  await sink.commit({ state: {} });
}

function latest(wh: string): TableMetadata {
  const dir = path.join(wh, 'sales', 'people', 'metadata');
  const v = fs.readFileSync(path.join(dir, 'version-hint.text'), 'utf8').trim();
  return parseTableMetadata(fs.readFileSync(path.join(dir, `v${v}.metadata.json`), 'utf8'));
}

const url = (wh: string) => `${pathToFileURL(wh).href}/sales/people`;

async function liveDataFiles(wh: string): Promise<string[]> {
  const md = await icebergMetadata({ tableUrl: url(wh) });
  return (await icebergManifests(md))
    .flatMap((m) => m.entries)
    .filter((e) => e.status !== 2)
    .map((e) => e.data_file.file_path)
    .sort();
}

const sorted = (rows: Record<string, unknown>[]) =>
  rows.map((r) => [Number(r.id), r.name, r.region]).sort((a, b) => Number(a[0]) - Number(b[0]));

function compact(job: ReturnType<typeof icebergJob>, partition?: string) {
  const target = openIcebergTarget(job);
  return compactTable({
    target,
    targetFileBytes: 128 * 1024 * 1024,
    smallFileBytes: 96 * 1024 * 1024,
    minInputFiles: 2,
    ...(partition ? { partition } : {}),
    compression: 'zstd',
    rowGroupSize: 10_000,
    kvMetadata: {},
    layout: { stem: 'people', folders: [] },
  }).finally(() => target.close());
}

describe('iceberg data files follow the S3 target layout', () => {
  it('names files <table>-<run>-NNNNN.parquet under sanitized partition folders and an ingest_date folder', async () => {
    const wh = tempDir('dativo-ice-layout-');
    const job = icebergJob(wh, { partitioning: ['ingest_date', 'region'] });
    // "EU West" and "eu west" are two partitions whose folder names coincide: files must not mix
    await append(job, 'run-lay1', withRegion([1, 2, 3, 4], ['EU West', 'eu west', null, 'EU West']));
    const today = new Date().toISOString().slice(0, 10);
    const keys = (await liveDataFiles(wh)).map((p) => p.slice(url(wh).length + 1));
    expect(keys).toEqual([
      `data/ingest_date=${today}/region=eu_west/people-run-lay1-00000.parquet`,
      `data/ingest_date=${today}/region=eu_west/people-run-lay1-00001.parquet`,
      `data/ingest_date=${today}/region=unknown/people-run-lay1-00002.parquet`,
    ]);
    const md = await icebergMetadata({ tableUrl: url(wh) });
    const entries = (await icebergManifests(md)).flatMap((m) => m.entries);
    const byFile = Object.fromEntries(
      entries.map((e) => [
        path.basename(e.data_file.file_path),
        // icebird shows a null partition value as undefined
        [
          (e.data_file.partition as { region?: string | null }).region ?? null,
          Number(e.data_file.record_count),
        ],
      ]),
    );
    expect(byFile).toEqual({
      'people-run-lay1-00000.parquet': ['EU West', 2],
      'people-run-lay1-00001.parquet': ['eu west', 1],
      'people-run-lay1-00002.parquet': [null, 1],
    });
    expect(sorted(await icebergRead({ tableUrl: url(wh) }))).toEqual([
      [1, 'name-1', 'EU West'],
      [2, 'name-2', 'eu west'],
      [3, 'name-3', null],
      [4, 'name-4', 'EU West'],
    ]);
  }, 120_000);
});

describe('iceberg compaction', () => {
  it('rewrites the small files of each partition into one, as a replace snapshot with the same rows', async () => {
    const wh = tempDir('dativo-ice-compact-');
    const job = icebergJob(wh, { partitioning: ['region'] });
    for (let r = 0; r < 3; r++) {
      const ids = [r * 3 + 1, r * 3 + 2, r * 3 + 3];
      await append(job, `run-c${r}`, withRegion(ids, ['eu', 'us', r === 2 ? 'us' : 'eu']));
    }
    const before = sorted(await icebergRead({ tableUrl: url(wh) }));
    expect(before).toHaveLength(9);
    expect(await liveDataFiles(wh)).toHaveLength(6);

    const result = await compact(job);
    expect(result).toMatchObject({
      partitions: 2,
      rewrittenFiles: 6,
      addedFiles: 2,
      rows: 9,
      skippedFiles: 0,
    });

    expect(sorted(await icebergRead({ tableUrl: url(wh) }))).toEqual(before);
    const files = await liveDataFiles(wh);
    expect(files).toHaveLength(2);
    expect(files.map((f) => /\/data\/(region=[a-z]+)\//.exec(f)?.[1])).toEqual(['region=eu', 'region=us']);

    const md = latest(wh);
    const snap = md.snapshots.at(-1);
    expect(snap?.['snapshot-id']).toBe(result.snapshotId);
    expect(snap?.summary).toMatchObject({
      operation: 'replace',
      'added-data-files': '2',
      'deleted-data-files': '6',
      'added-records': '9',
      'deleted-records': '9',
      'total-records': '9',
      'total-data-files': '2',
    });

    // avsc's own decoder: the DELETED entries keep the sequence numbers of the snapshots that added them
    const list = readManifestList(fs.readFileSync(new URL(snap?.['manifest-list'] as string)));
    const decoded = await Promise.all(
      list.map(async (m) => (await decodeIndependently(fs.readFileSync(new URL(m.manifest_path)))).rows),
    );
    const entries = decoded.flat() as {
      status: number;
      sequence_number: bigint | null;
      snapshot_id: bigint;
    }[];
    expect(entries.filter((e) => e.status === 1)).toHaveLength(2);
    const deleted = entries.filter((e) => e.status === 2);
    expect(deleted).toHaveLength(6);
    expect(deleted.map((e) => Number(e.sequence_number)).sort()).toEqual([1, 1, 2, 2, 3, 3]);
    expect(deleted.every((e) => e.snapshot_id === result.snapshotId)).toBe(true);

    // the next append drops the all-DELETED manifest and keeps every row
    await append(job, 'run-c3', withRegion([10], ['eu']));
    const next = latest(wh).snapshots.at(-1);
    const nextList = readManifestList(fs.readFileSync(new URL(next?.['manifest-list'] as string)));
    expect(nextList.every((m) => m.deleted_files_count === 0)).toBe(true);
    expect(sorted(await icebergRead({ tableUrl: url(wh) }))).toEqual([...before, [10, 'name-10', 'eu']]);
    expect(await liveDataFiles(wh)).toHaveLength(3);
  }, 180_000);

  it('--partition limits the rewrite to one partition; untouched files stay listed as they were', async () => {
    const wh = tempDir('dativo-ice-compact-p-');
    const job = icebergJob(wh, { partitioning: ['region'] });
    await append(job, 'run-p0', withRegion([1, 2], ['eu', 'us']));
    await append(job, 'run-p1', withRegion([3, 4], ['eu', 'us']));
    const before = sorted(await icebergRead({ tableUrl: url(wh) }));
    const usFiles = (await liveDataFiles(wh)).filter((f) => f.includes('/region=us/'));

    const result = await compact(job, 'region=eu');
    expect(result).toMatchObject({ partitions: 1, rewrittenFiles: 2, addedFiles: 1 });
    const after = await liveDataFiles(wh);
    expect(after.filter((f) => f.includes('/region=us/'))).toEqual(usFiles);
    expect(after.filter((f) => f.includes('/region=eu/'))).toHaveLength(1);
    expect(sorted(await icebergRead({ tableUrl: url(wh) }))).toEqual(before);
  }, 120_000);

  it('two partitions sharing a folder ("EU West", "eu west") are compacted into distinct files', async () => {
    const wh = tempDir('dativo-ice-compact-f-');
    const job = icebergJob(wh, { partitioning: ['region'] });
    await append(job, 'run-f0', withRegion([1, 2], ['EU West', 'eu west']));
    await append(job, 'run-f1', withRegion([3, 4], ['EU West', 'eu west']));
    const before = sorted(await icebergRead({ tableUrl: url(wh) }));
    const result = await compact(job);
    expect(result).toMatchObject({ partitions: 2, rewrittenFiles: 4, addedFiles: 2 });
    const files = await liveDataFiles(wh);
    expect(files).toHaveLength(2);
    expect(new Set(files).size).toBe(2);
    expect(files.every((f) => f.includes('/data/region=eu_west/'))).toBe(true);
    expect(sorted(await icebergRead({ tableUrl: url(wh) }))).toEqual(before);
  }, 120_000);

  it('a table with one file per partition is left alone (no snapshot)', async () => {
    const wh = tempDir('dativo-ice-compact-n-');
    const job = icebergJob(wh, { partitioning: ['region'] });
    await append(job, 'run-n0', withRegion([1, 2], ['eu', 'us']));
    const snapshots = latest(wh).snapshots.length;
    const result = await compact(job);
    expect(result).toMatchObject({ partitions: 0, rewrittenFiles: 0 });
    expect(result.snapshotId).toBeUndefined();
    expect(latest(wh).snapshots).toHaveLength(snapshots);
  }, 120_000);
});
