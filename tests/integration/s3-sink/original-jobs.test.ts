/**
 * The original's s3/minio job files through the real pipeline (runJob) with the S3 sink factory,
 * against radosgw. connectors.ts is mocked only to route s3/minio to createS3Sink, so these
 * tests do not depend on the integrator's wiring; cli.test.ts runs the same jobs through the CLI.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ResolvedJob } from '../../../host/config/types.js';
import { silentLogger } from '../../../host/observability/logger.js';
import { runJob } from '../../../host/pipeline/run-job.js';
import { createS3Sink } from '../../../host/sinks/s3/index.js';
import { duck } from '../../helpers/duckdb.js';
import {
  clearPrefix,
  download,
  head,
  JOB_BUCKET,
  listKeys,
  loadOriginalJob,
  METADATA_KEYS,
  parquetKeys,
  type Rgw,
  startRgw,
  visibleRows,
} from './radosgw.js';

vi.mock('../../../host/connectors/index.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../../host/connectors/index.js')>();
  const isS3 = (job: ResolvedJob) => job.target.type === 's3' || job.target.type === 'minio';
  return {
    ...orig,
    openSink: (job: ResolvedJob, s: { runId: string; kvMetadata: Record<string, string> }) =>
      isS3(job) ? createS3Sink(job, s) : orig.openSink(job, s),
  };
});

let rgw: Rgw;
let tmp: string;

beforeAll(async () => {
  rgw = await startRgw();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-s3-jobs-'));
});
afterAll(async () => {
  rgw?.client.destroy();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function run(name: string) {
  const job = await loadOriginalJob(rgw, name, path.join(tmp, name, 'state'));
  const prefix = `${String(job.target.connection.prefix)}/`;
  await clearPrefix(rgw.client, JOB_BUCKET, prefix);
  const report = await runJob(job, { logger: silentLogger(), signal: new AbortController().signal });
  return { job, prefix, report };
}

describe('original job files → radosgw (S3 sink factory through runJob)', () => {
  it('csv_person_to_s3.yaml: exit 0, 10 rows, key layout, metadata and tags on the final objects', async () => {
    const { prefix, report } = await run('csv_person_to_s3');
    expect(report.errors).toEqual([]);
    expect(report.exitCode).toBe(0);
    expect(report.rows.written).toBe(10);

    const keys = await parquetKeys(rgw.client, JOB_BUCKET, prefix);
    expect(keys).toHaveLength(1);
    // bucket/prefix/domain/dataProduct/asset/partition/file (the prefix the original ignored)
    expect(keys[0]).toMatch(
      new RegExp(
        `^raw/csv/person/dativo/adventureworks/csv_person/ingest_date=\\d{4}-\\d\\d-\\d\\d/Person-${report.runId}-00000\\.parquet$`,
      ),
    );
    expect(await visibleRows(rgw.client, JOB_BUCKET, prefix)).toBe(10);
    const dir = await download(rgw.client, JOB_BUCKET, prefix);
    const ids = await duck<{ id: number }>(
      `SELECT BusinessEntityID::INT AS id FROM read_parquet('${dir}/**/*.parquet') ORDER BY 1`,
    );
    expect(ids).toHaveLength(10);
    expect(new Set(ids.map((r) => r.id)).size).toBe(10);

    const h = await head(rgw.client, JOB_BUCKET, keys[0] as string);
    for (const k of METADATA_KEYS) expect(h.Metadata, k).toHaveProperty(k);
    expect(h.Metadata).toMatchObject({
      'asset-name': 'csv_person',
      'asset-version': '1.0',
      'asset-domain': 'dativo',
      'data-product': 'adventureworks',
      'tenant-id': 'test_tenant',
      owner: 'data-team@company.com',
      'record-count': '10',
      'file-size-bytes': String(h.ContentLength),
      'file-format': 'parquet',
    });
    expect(h.Metadata?.partition).toMatch(/^ingest_date=\d{4}-\d\d-\d\d$/);
    expect(Number.isNaN(Date.parse(h.Metadata?.['ingest-timestamp'] ?? ''))).toBe(false);
    const tags = await rgw.client.send(new GetObjectTaggingCommand({ Bucket: JOB_BUCKET, Key: keys[0] }));
    const tagMap = Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key, t.Value]));
    expect(tagMap).toMatchObject({
      domain: 'dativo',
      'data-product': 'adventureworks',
      tenant: 'test_tenant',
      owner: 'data-team@company.com',
      'asset-tag': 'adventureworks',
    });
    expect(tagMap.partition).toBe(h.Metadata?.partition);
    expect((tags.TagSet ?? []).length).toBeLessThanOrEqual(10);

    // The protocol's record is done and nothing is left in staging.
    const all = await listKeys(rgw.client, JOB_BUCKET, prefix);
    expect(all).toContain(`${prefix}_dativo/commits/${report.runId}.json`);
    expect(all.filter((k) => k.includes('_dativo/staging/'))).toEqual([]);
  });

  it('csv_product_to_minio.yaml (scheme-less MINIO_ENDPOINT, secure: false): exit 1, 11 rows', async () => {
    const { job, prefix, report } = await run('csv_product_to_minio');
    expect(job.target.connection.endpoint).not.toMatch(/^https?:/);
    expect(report.exitCode).toBe(1);
    expect(report.status).toBe('succeeded_with_warnings');
    expect(report.rows.written).toBe(11);
    expect(await visibleRows(rgw.client, JOB_BUCKET, prefix)).toBe(11);
    const keys = await parquetKeys(rgw.client, JOB_BUCKET, prefix);
    expect(keys.every((k) => k.startsWith('raw/csv/product/dativo/adventureworks/csv_product/'))).toBe(true);
    const h = await head(rgw.client, JOB_BUCKET, keys[0] as string);
    for (const k of METADATA_KEYS) expect(h.Metadata, k).toHaveProperty(k);
    expect(h.Metadata?.['record-count']).toBe('11');
  });

  it('csv_malformed_data.yaml: exit 2 and nothing at all under the prefix', async () => {
    const { prefix, report } = await run('csv_malformed_data');
    expect(report.exitCode).toBe(2);
    expect(report.errors.length).toBeGreaterThan(0);
    expect(await listKeys(rgw.client, JOB_BUCKET, prefix)).toEqual([]);
  });

  it('wrong credentials: exit 2 with AUTHENTICATION_FAILED, the secret never in the report', async () => {
    const job = await loadOriginalJob(rgw, 'csv_person_to_s3', path.join(tmp, 'badcreds', 'state'));
    const secret = 'Wr0ngSecretValue-do-not-print';
    job.target.connection.secret_access_key = secret;
    const report = await runJob(job, { logger: silentLogger(), signal: new AbortController().signal });
    expect(report.exitCode).toBe(2);
    expect(report.errors[0]?.code).toBe('AUTHENTICATION_FAILED');
    expect(report.errors[0]?.message).toMatch(/credentials were rejected \(SignatureDoesNotMatch\)/);
    expect(report.errors[0]?.message).toContain('test-bucket');
    expect(JSON.stringify(report)).not.toContain(secret);
  });
});
