/**
 * Snapshot expiry on a table written by the sink: old snapshots leave the metadata, their
 * manifest lists are deleted, every file a kept snapshot still needs stays, and icebird still
 * reads every row.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { icebergRead } from 'icebird';
import { describe, expect, it } from 'vitest';
import { expireSnapshots, snapshotsToExpire } from '../../../host/iceberg/expire.js';
import { createFilesystemCatalog, fileWarehouseUri } from '../../../host/iceberg/fs-catalog.js';
import { storeFileIO } from '../../../host/iceberg/io.js';
import { parseTableMetadata } from '../../../host/iceberg/metadata.js';
import { createIcebergSink } from '../../../host/sinks/iceberg/index.js';
import { createLocalStore } from '../../../host/sinks/store/local.js';
import { ctx, icebergJob, people, sharedEncoderWithFileFetch, tempDir } from './helpers.js';

const encoder = sharedEncoderWithFileFetch();

async function run(wh: string, runId: string, ids: number[]) {
  const sink = await createIcebergSink(icebergJob(wh), { runId, kvMetadata: {} }, { encoder });
  await sink.open(ctx(runId));
  await sink.write(people(ids));
  return sink.commit({ state: {} });
}

describe('iceberg expire', () => {
  it('removes old snapshots and their manifest lists, keeps the newest and every file it needs', async () => {
    const wh = tempDir('dativo-ice-expire-');
    await run(wh, 'run-e-1', [1, 2]);
    await run(wh, 'run-e-2', [3]);
    await run(wh, 'run-e-3', [4, 5]);
    const store = createLocalStore(wh);
    const catalog = createFilesystemCatalog({ store, warehouse: fileWarehouseUri(wh) });
    const ident = { namespace: ['sales'], name: 'people' };
    const before = (await catalog.loadTable(ident))?.metadata;
    if (!before) throw new Error('no table');
    expect(snapshotsToExpire(before, 0, 1)).toEqual([]); // nothing is older than the epoch
    const oldLists = before.snapshots.slice(0, 2).map((s) => s['manifest-list']);

    const result = await expireSnapshots({
      catalog,
      ident,
      io: storeFileIO(store, fileWarehouseUri(wh)),
      olderThanMs: Date.now() + 60_000,
      retainLast: 1,
    });
    expect(result.removedSnapshots).toEqual(before.snapshots.slice(0, 2).map((s) => s['snapshot-id']));
    expect(result.deletedFiles).toBe(2);
    for (const l of oldLists) expect(existsSync(fileURLToPath(l))).toBe(false);

    const dir = path.join(wh, 'sales/people/metadata');
    const v = readFileSync(path.join(dir, 'version-hint.text'), 'utf8');
    const after = parseTableMetadata(readFileSync(path.join(dir, `v${v}.metadata.json`), 'utf8'));
    expect(after.snapshots.map((s) => s['snapshot-id'])).toEqual([before['current-snapshot-id']]);
    expect(after['snapshot-log'].map((s) => s['snapshot-id'])).toEqual([before['current-snapshot-id']]);
    const rows = await icebergRead({ tableUrl: `${pathToFileURL(wh).href}/sales/people` });
    expect(rows.map((r) => Number(r.id)).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});
