/**
 * Iceberg on radosgw with the filesystem catalog: the original's
 * `adventureworks_person_to_iceberg.yaml` through the real pipeline, unchanged, then verified by
 * independent readers: icebird (the table, over a fetch that serves the downloaded objects),
 * avrocat and python3-avro (the manifests), DuckDB (Parquet field ids). Plus two concurrent
 * appends against S3 conditional writes.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { Utf8 } from 'apache-arrow';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTableMetadata } from '../../../host/iceberg/metadata.js';
import { silentLogger } from '../../../host/observability/logger.js';
import { runJob } from '../../../host/pipeline/run-job.js';
import { compactTable } from '../../../host/sinks/iceberg/compact.js';
import { createIcebergSink, openIcebergTarget } from '../../../host/sinks/iceberg/index.js';
import { objectAttributes } from '../../../host/sinks/s3/metadata.js';
import { duck } from '../../helpers/duckdb.js';
import { ctx, icebergJob, people, utf8Data } from '../../unit/iceberg/helpers.js';
import {
  clearPrefix,
  JOB_BUCKET,
  listKeys,
  loadOriginalJob,
  type Rgw,
  script,
  startRgw,
} from '../s3-sink/radosgw.js';

let rgw: Rgw;
let tmp: string;

beforeAll(async () => {
  rgw = await startRgw();
  execFileSync('bash', [script('start-avro.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-ice-rgw-'));
}, 600_000);
afterAll(async () => {
  rgw?.client.destroy();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Download every object under `prefix` into `dir`, keys as paths. */
async function download(prefix: string, dir: string): Promise<void> {
  for (const key of await listKeys(rgw.client, JOB_BUCKET, prefix)) {
    const out = await rgw.client.send(new GetObjectCommand({ Bucket: JOB_BUCKET, Key: key }));
    const file = path.join(dir, key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(
      file,
      await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
  }
}

/** icebird maps s3://bucket/key to https://bucket.s3.amazonaws.com/key: serve those from `dir`. */
async function withS3Fetch<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const real = globalThis.fetch;
  const host = `https://${JOB_BUCKET}.s3.amazonaws.com/`;
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(host)) return real(input, init);
    const file = path.join(dir, decodeURIComponent(url.slice(host.length)));
    if (!fs.existsSync(file)) return new Response('', { status: 404 });
    const bytes = fs.readFileSync(file);
    if (init?.method === 'HEAD')
      return new Response(null, { headers: { 'content-length': String(bytes.length) } });
    const m = /bytes=(\d+)-(\d*)/.exec(new Headers(init?.headers).get('range') ?? '');
    if (m) {
      const end = m[2] ? Number(m[2]) + 1 : bytes.length;
      return new Response(bytes.subarray(Number(m[1]), end), { status: 206 });
    }
    return new Response(bytes);
  }) as typeof fetch;
  try {
    return await fn();
  } finally {
    globalThis.fetch = real;
  }
}

function latest(dir: string, tableKey: string) {
  const meta = path.join(dir, tableKey, 'metadata');
  const v = fs.readFileSync(path.join(meta, 'version-hint.text'), 'utf8').trim();
  return parseTableMetadata(fs.readFileSync(path.join(meta, `v${v}.metadata.json`), 'utf8'));
}

describe('original adventureworks_person_to_iceberg.yaml → radosgw (filesystem catalog)', () => {
  const tableKey = 'dativo/csv_person';

  it('runs unchanged, and independent readers agree on the table', async () => {
    await clearPrefix(rgw.client, JOB_BUCKET, `${tableKey}/`);
    const job = await loadOriginalJob(rgw, 'adventureworks_person_to_iceberg', path.join(tmp, 'state'));
    const report = await runJob(job, { logger: silentLogger(), signal: new AbortController().signal });
    expect(report.errors).toEqual([]);
    expect(report.exitCode).toBe(0);
    expect(report.rows.written).toBe(10);

    const dir = path.join(tmp, 'dl1');
    await download(`${tableKey}/`, dir);
    const md = latest(dir, tableKey);
    expect(md.location).toBe(`s3://${JOB_BUCKET}/${tableKey}`);
    expect(md.snapshots).toHaveLength(1);
    expect(md.snapshots[0]?.summary['dativo.run-id']).toBe(report.runId);

    // icebird: the exact rows
    const rows = await withS3Fetch(dir, () => icebergRead({ tableUrl: `s3://${JOB_BUCKET}/${tableKey}` }));
    expect(rows).toHaveLength(10);
    expect(rows.some((r) => r.LastName === 'Sánchez')).toBe(true);

    // avrocat and python3-avro decode the manifest list and the manifest
    const list = path.join(
      dir,
      md.snapshots[0]?.['manifest-list'].replace(`s3://${JOB_BUCKET}/`, '') as string,
    );
    const listJson = execFileSync('avrocat', [list], { encoding: 'utf8' });
    expect(listJson).toContain('"added_rows_count"');
    const manifestPath = /"manifest_path": ?"([^"]+)"/.exec(listJson)?.[1] as string;
    const manifest = path.join(dir, manifestPath.replace(`s3://${JOB_BUCKET}/`, ''));
    const entries = execFileSync('avrocat', [manifest], { encoding: 'utf8' });
    expect(entries).toContain('"record_count": 10');
    const py = execFileSync(
      '/usr/bin/python3',
      [
        '-W',
        'ignore',
        '-c',
        [
          'import sys, json, avro.datafile, avro.io',
          'r = avro.datafile.DataFileReader(open(sys.argv[1], "rb"), avro.io.DatumReader())',
          'rows = list(r)',
          'print(json.dumps({"n": len(rows), "format": r.get_meta("format-version").decode(), "count": rows[0]["data_file"]["record_count"], "ids": [f.other_props.get("field-id") for f in r.datum_reader.writers_schema.fields]}))',
        ].join('\n'),
        manifest,
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(py)).toEqual({ n: 1, format: '2', count: 10, ids: [0, 1, 3, 4, 2] });

    // DuckDB: field ids in the data file
    const dataFile = path.join(
      dir,
      /"file_path": ?"([^"]+)"/.exec(entries)?.[1]?.replace(`s3://${JOB_BUCKET}/`, '') as string,
    );
    const ids = await duck<{ name: string; id: number }>(
      `SELECT name, field_id::INT AS id FROM parquet_schema('${dataFile}') WHERE field_id IS NOT NULL ORDER BY id`,
    );
    expect(ids.map((r) => r.id)).toEqual(md.schemas[0]?.fields.map((f) => f.id));
    expect(ids.map((r) => r.name)).toEqual(md.schemas[0]?.fields.map((f) => f.name));
  }, 300_000);
});

describe('concurrent appends on radosgw', () => {
  it('two writers committing at once both land (conditional create of vN+1)', async () => {
    const prefix = 'iceberg-it/concurrent';
    await clearPrefix(rgw.client, JOB_BUCKET, `${prefix}/`);
    const job = icebergJob(`s3://${JOB_BUCKET}/${prefix}`, {
      connection: {
        s3: { endpoint: rgw.endpoint, ...creds(rgw), region: 'us-east-1', path_style_access: true },
      },
    });
    let arrived = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const barrier = async (attempt: number) => {
      if (attempt > 1) return;
      if (++arrived === 2) release();
      await gate;
    };
    const opts = { beforeCommit: barrier, backoffMs: { initial: 10, max: 50 } };
    const a = await createIcebergSink(job, { runId: 'run-00a', kvMetadata: {} }, opts);
    const b = await createIcebergSink(job, { runId: 'run-00b', kvMetadata: {} }, opts);
    // the table exists before both start, so both race on the same base version
    const first = await createIcebergSink(job, { runId: 'run-000', kvMetadata: {} });
    await first.open(ctx('run-000'));
    await first.write(people([0]));
    await first.commit({ state: {} });
    await a.open(ctx('run-00a'));
    await b.open(ctx('run-00b'));
    await a.write(people([1, 2]));
    await b.write(people([3]));
    await Promise.all([a.commit({ state: {} }), b.commit({ state: {} })]);

    const dir = path.join(tmp, 'dl2');
    await download(`${prefix}/`, dir);
    const md = latest(dir, `${prefix}/sales/people`);
    expect(md.snapshots).toHaveLength(3);
    const rows = await withS3Fetch(dir, () =>
      icebergRead({ tableUrl: `s3://${JOB_BUCKET}/${prefix}/sales/people` }),
    );
    expect(rows.map((r) => Number(r.id)).sort()).toEqual([0, 1, 2, 3]);
  }, 300_000);
});

describe('Iceberg data files on radosgw carry the S3 target metadata and tags', () => {
  it('tenant, classification and asset as object metadata and tags', async () => {
    const prefix = 'iceberg-it/attrs';
    await clearPrefix(rgw.client, JOB_BUCKET, `${prefix}/`);
    const job = icebergJob(`s3://${JOB_BUCKET}/${prefix}`, {
      connection: {
        s3: { endpoint: rgw.endpoint, ...creds(rgw), region: 'us-east-1', path_style_access: true },
      },
    });
    const kv = { 'dativo.classification.default': 'pii', 'dativo.asset.name': 'People' };
    const sink = await createIcebergSink(job, { runId: 'run-attr1', kvMetadata: kv });
    await sink.open(ctx('run-attr1'));
    await sink.write(people([1, 2, 3]));
    await sink.commit({ state: {} });
    const data = (await listKeys(rgw.client, JOB_BUCKET, `${prefix}/`)).filter((k) => k.endsWith('.parquet'));
    expect(data).toHaveLength(1);
    const head = await rgw.client.send(new HeadObjectCommand({ Bucket: JOB_BUCKET, Key: data[0] }));
    expect(head.Metadata).toMatchObject({
      'tenant-id': ctx('x').tenant,
      classification: 'pii',
      'asset-name': 'People',
      'record-count': '3',
      'file-format': 'parquet',
      compression: 'zstd',
    });
    const tagging = await rgw.client.send(new GetObjectTaggingCommand({ Bucket: JOB_BUCKET, Key: data[0] }));
    const tags = Object.fromEntries((tagging.TagSet ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ tenant: ctx('x').tenant, domain: 'sales' });
  }, 300_000);
});

describe('Iceberg on radosgw: the S3 target layout, then compaction', () => {
  it('data files under data/ingest_date=…/region=…/<table>-<run>-NNNNN.parquet; compaction keeps rows, metadata and tags', async () => {
    const prefix = 'iceberg-it/layout-compact';
    await clearPrefix(rgw.client, JOB_BUCKET, `${prefix}/`);
    const job = icebergJob(`s3://${JOB_BUCKET}/${prefix}`, {
      partitioning: ['ingest_date', 'region'],
      connection: {
        s3: { endpoint: rgw.endpoint, ...creds(rgw), region: 'us-east-1', path_style_access: true },
      },
    });
    const kv = { 'dativo.classification.default': 'pii', 'dativo.asset.name': 'People' };
    const regions = (ids: number[]) =>
      people(ids, [
        { name: 'region', type: new Utf8(), data: utf8Data(ids.map((i) => (i % 2 ? 'EU West' : 'us'))) },
      ]);
    for (const [n, ids] of [
      [1, 2],
      [3, 4],
      [5, 6],
    ].entries()) {
      const sink = await createIcebergSink(job, { runId: `run-lc${n}`, kvMetadata: kv });
      await sink.open(ctx(`run-lc${n}`));
      await sink.write(regions(ids));
      await sink.commit({ state: {} });
    }
    const today = new Date().toISOString().slice(0, 10);
    const tableKey = `${prefix}/sales/people`;
    const dataKeys = async () =>
      (await listKeys(rgw.client, JOB_BUCKET, `${tableKey}/data/`)).map((k) => k.slice(tableKey.length + 1));
    expect(await dataKeys()).toEqual(
      [0, 1, 2]
        .flatMap((n) => [
          `data/ingest_date=${today}/region=eu_west/people-run-lc${n}-00000.parquet`,
          `data/ingest_date=${today}/region=us/people-run-lc${n}-00001.parquet`,
        ])
        .sort(),
    );

    const dir1 = path.join(tmp, 'dl-lc1');
    await download(`${tableKey}/`, dir1);
    const tableUrl = `s3://${JOB_BUCKET}/${tableKey}`;
    const key = (r: Record<string, unknown>) => `${r.id}|${r.name}|${r.region}`;
    const before = (await withS3Fetch(dir1, () => icebergRead({ tableUrl }))).map(key).sort();
    expect(before).toHaveLength(6);

    const target = openIcebergTarget(job);
    const result = await compactTable({
      target,
      targetFileBytes: 128 * 1024 * 1024,
      smallFileBytes: 96 * 1024 * 1024,
      minInputFiles: 2,
      compression: 'zstd',
      rowGroupSize: 10_000,
      kvMetadata: kv,
      layout: { stem: 'people', folders: [['ingest_date', today]] },
      objectAttributes: (file, closedAt) =>
        objectAttributes({ job: { ...job, tenantId: 'acme' }, kv }, file, closedAt),
    }).finally(() => target.close());
    expect(result).toMatchObject({ partitions: 2, rewrittenFiles: 6, addedFiles: 2, rows: 6 });

    const dir2 = path.join(tmp, 'dl-lc2');
    await download(`${tableKey}/`, dir2);
    expect((await withS3Fetch(dir2, () => icebergRead({ tableUrl }))).map(key).sort()).toEqual(before);
    const md = latest(dir2, tableKey);
    expect(md.snapshots.at(-1)?.summary.operation).toBe('replace');
    // the live files, from the manifests (the replaced files stay on S3 until expire)
    const entries = execFileSync(
      'avrocat',
      [path.join(dir2, String(md.snapshots.at(-1)?.['manifest-list']).replace(`s3://${JOB_BUCKET}/`, ''))],
      { encoding: 'utf8' },
    );
    const added = [...entries.matchAll(/"manifest_path": ?"([^"]+)"/g)].flatMap((m) => {
      const manifest = execFileSync(
        'avrocat',
        [path.join(dir2, (m[1] as string).replace(`s3://${JOB_BUCKET}/`, ''))],
        { encoding: 'utf8' },
      );
      return manifest
        .split('\n')
        .filter((l) => /"status": ?1/.test(l))
        .map((l) => String(/"file_path": ?"([^"]+)"/.exec(l)?.[1]).replace(`s3://${JOB_BUCKET}/`, ''));
    });
    expect(added).toHaveLength(2);
    for (const k of added)
      expect(k).toMatch(
        new RegExp(
          `^${tableKey}/data/ingest_date=${today}/region=(eu_west|us)/people-r\\d{8}T\\d{9}-[0-9a-f]{6}-0000[01]\\.parquet$`,
        ),
      );

    // DuckDB reads the two new files: the same rows
    const got = await duck<{ n: number; s: number }>(
      `SELECT count(*)::INT AS n, sum(id)::INT AS s FROM read_parquet([${added.map((k) => `'${path.join(dir2, k)}'`).join(', ')}])`,
    );
    expect(got).toEqual([{ n: 6, s: 21 }]);

    // the S3 target's object metadata and tags on the compacted files
    const eu = added.find((k) => k.includes('region=eu_west')) as string;
    const head = await rgw.client.send(new HeadObjectCommand({ Bucket: JOB_BUCKET, Key: eu }));
    expect(head.Metadata).toMatchObject({
      'tenant-id': 'acme',
      classification: 'pii',
      'record-count': '3',
      partition: 'region=EU West',
    });
    const tagging = await rgw.client.send(new GetObjectTaggingCommand({ Bucket: JOB_BUCKET, Key: eu }));
    expect(Object.fromEntries((tagging.TagSet ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({
      tenant: 'acme',
      domain: 'sales',
    });
  }, 300_000);
});

function creds(r: Rgw) {
  return {
    access_key_id: r.conn.credentials?.accessKeyId ?? '',
    secret_access_key: r.conn.credentials?.secretAccessKey ?? '',
  };
}
