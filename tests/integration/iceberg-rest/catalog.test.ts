/**
 * The REST catalog server backed by the filesystem catalog over radosgw (S3 conditional writes),
 * reached through the REST client: create, commit, exact 64-bit ids in the S3 objects, and
 * concurrent appends through two server processes in front of one warehouse, where only the S3
 * conditional create keeps the history linear.
 */
import { randomBytes } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitConflictError } from '../../../host/iceberg/catalog.js';
import { createFilesystemCatalog } from '../../../host/iceberg/fs-catalog.js';
import { newSnapshotId } from '../../../host/iceberg/metadata.js';
import { createRestCatalog } from '../../../host/iceberg/rest/client.js';
import { type RunningRestCatalog, startRestCatalogServer } from '../../../host/iceberg/rest/server.js';
import { createS3Store, type S3ObjectStore } from '../../../host/sinks/store/s3.js';
import { appendCommit, ident, SCHEMA } from '../../unit/iceberg-rest/helpers.js';
import { JOB_BUCKET, listKeys, type Rgw, startRgw } from '../s3-sink/radosgw.js';

const TOKEN = 'it-rest-token-0123456789';
const root = `iceberg-rest-it/${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
let rgw: Rgw;
const stores: S3ObjectStore[] = [];
const servers: RunningRestCatalog[] = [];

/** One REST server over the shared S3 warehouse (as separate catalog replicas would be). */
async function serve(): Promise<RunningRestCatalog> {
  const store = createS3Store({ ...rgw.conn, bucket: JOB_BUCKET, prefix: root });
  stores.push(store);
  const catalog = createFilesystemCatalog({ store, warehouse: `s3://${JOB_BUCKET}/${root}` });
  const server = await startRestCatalogServer({ catalog, token: TOKEN });
  servers.push(server);
  return server;
}

async function text(key: string): Promise<string> {
  const out = await rgw.client.send(new GetObjectCommand({ Bucket: JOB_BUCKET, Key: key }));
  return (out.Body as { transformToString(): Promise<string> }).transformToString();
}

beforeAll(async () => {
  rgw = await startRgw();
});
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const s of stores) s.close();
  rgw?.client.destroy();
});

describe('REST catalog over radosgw', () => {
  it('creates and commits; metadata, version hint and exact ids are in S3', async () => {
    const server = await serve();
    const c = createRestCatalog({ uri: server.url, token: TOKEN });
    const id = ident('people', 'lake');
    const t = await c.createTable(id, { name: 'people', schema: SCHEMA });
    expect(t.metadataLocation).toBe(`s3://${JOB_BUCKET}/${root}/lake/people/metadata/v1.metadata.json`);
    const big = 9_223_372_036_854_775_000n;
    const { requirements, updates } = appendCommit(t.metadata, big, 'run-a');
    const done = await c.commitTable(id, requirements, updates);
    expect(done.metadata['current-snapshot-id']).toBe(big);

    const keys = await listKeys(rgw.client, JOB_BUCKET, `${root}/lake/people/`);
    expect(keys.map((k) => k.slice(root.length + 1))).toEqual([
      'lake/people/metadata/v1.metadata.json',
      'lake/people/metadata/v2.metadata.json',
      'lake/people/metadata/version-hint.text',
    ]);
    expect((await text(`${root}/lake/people/metadata/version-hint.text`)).trim()).toBe('2');
    expect(await text(`${root}/lake/people/metadata/v2.metadata.json`)).toContain(
      '"current-snapshot-id": 9223372036854775000',
    );
    // a stale commit (built from v1) is refused by the requirement, not by luck
    const stale = appendCommit(t.metadata, 77n, 'run-b');
    const err = await c.commitTable(id, stale.requirements, stale.updates).catch((e) => e);
    expect(err).toBeInstanceOf(CommitConflictError);
  });

  it('lands all 8 concurrent appends made through two servers over one warehouse', async () => {
    const [a, b] = [await serve(), await serve()];
    const id = ident('events', 'lake');
    await createRestCatalog({ uri: a.url, token: TOKEN }).createTable(id, { name: 'events', schema: SCHEMA });
    let conflicts = 0;
    const append = async (i: number) => {
      const c = createRestCatalog({ uri: (i % 2 === 0 ? a : b).url, token: TOKEN });
      for (let attempt = 0; attempt < 40; attempt++) {
        const cur = await c.loadTable(id);
        if (!cur) throw new Error('table vanished');
        try {
          const { requirements, updates } = appendCommit(cur.metadata, newSnapshotId(), `run-${i}`);
          await c.commitTable(id, requirements, updates);
          return;
        } catch (e) {
          if (!(e instanceof CommitConflictError)) throw e;
          conflicts++;
          await new Promise((r) => setTimeout(r, Math.random() * 50 * (attempt + 1)));
        }
      }
      throw new Error(`run-${i} never committed`);
    };
    await Promise.all(Array.from({ length: 8 }, (_, i) => append(i)));

    const md = (await createRestCatalog({ uri: b.url, token: TOKEN }).loadTable(id))?.metadata;
    expect(md?.snapshots.map((s) => s.summary['dativo.run-id']).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `run-${i}`).sort(),
    );
    expect(md?.snapshots.map((s) => s['sequence-number'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    md?.snapshots.slice(1).forEach((s, i) => {
      expect(s['parent-snapshot-id']).toBe(md.snapshots[i]?.['snapshot-id']);
    });
    const versions = (await listKeys(rgw.client, JOB_BUCKET, `${root}/lake/events/metadata/`)).filter((k) =>
      k.endsWith('.metadata.json'),
    );
    expect(versions.length).toBe(9); // create + one per append, none overwritten
    expect(conflicts).toBeGreaterThan(0); // the writers really raced
  });
});
