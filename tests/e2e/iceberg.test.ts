/**
 * CSV → Iceberg through `dativo run` (the built CLI) on a local warehouse (filesystem catalog),
 * read back by icebird; a rerun with nothing new commits nothing, and a crash before the commit
 * leaves the table unchanged.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { icebergManifests, icebergMetadata, icebergRead } from 'icebird';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseTableMetadata } from '../../host/iceberg/metadata.js';
import { reportOf, runCli } from '../helpers/cli.js';
import { installFileFetch } from '../unit/iceberg/helpers.js';

let tmp: string;
let restore: () => void;
beforeAll(() => {
  restore = installFileFetch();
});
afterAll(() => restore());
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-e2e-ice-'));
});
afterEach(() => rm(tmp, { recursive: true, force: true }));

// The recipe's S3 connection template interpolates these; the local warehouse never uses them.
const ENV = {
  S3_ENDPOINT: 'http://127.0.0.1:1',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'y',
  AWS_REGION: 'us-east-1',
};

async function writeJob(partitioning?: string[]): Promise<string> {
  const job = path.join(tmp, 'person_to_iceberg.yaml');
  await writeFile(
    job,
    [
      'tenant_id: test_tenant',
      'source_connector: csv',
      'source_connector_path: connectors/csv.yaml',
      'target_connector: iceberg',
      'target_connector_path: connectors/iceberg.yaml',
      'asset_path: tests/fixtures/original-configs/tests/fixtures/assets/csv/v1.0/person.yaml',
      'source:',
      '  files:',
      '    - path: tests/fixtures/data/adventureworks/Person.csv',
      '      object: person',
      'target:',
      `  warehouse: ${path.join(tmp, 'warehouse')}`,
      ...(partitioning ? ['  partitioning:', ...partitioning.map((p) => `    - "${p}"`)] : []),
      'schema_validation_mode: strict',
      '',
    ].join('\n'),
  );
  return job;
}

const run = (job: string, extra: Record<string, string> = {}) =>
  runCli(['run', '--config', job, '--state-dir', path.join(tmp, 'state'), '--json'], {
    env: { ...ENV, ...extra },
  });

const tableUrl = () => `${pathToFileURL(path.join(tmp, 'warehouse')).href}/dativo/csv_person`;

describe('dativo run: CSV → Iceberg (filesystem catalog)', () => {
  it('commits one snapshot icebird reads with the exact 10 rows', async () => {
    const job = await writeJob();
    const r = await run(job);
    expect(r.code, r.stderr).toBe(0);
    const report = reportOf(r);
    expect(report.status).toBe('succeeded');
    expect(report.rows.written).toBe(10);
    expect(report.target.location).toContain('dativo.csv_person');

    const rows = await icebergRead({ tableUrl: tableUrl() });
    expect(rows).toHaveLength(10);
    expect(rows.some((x) => x.LastName === 'Sánchez')).toBe(true);
    const ids = rows.map((x) => Number(x.BusinessEntityID)).sort((a, b) => a - b);
    expect(new Set(ids).size).toBe(10);

    const md = await icebergMetadata({ tableUrl: tableUrl() });
    expect(md['format-version']).toBe(2);
    const summary = md.snapshots?.[0]?.summary as Record<string, string>;
    expect(summary['dativo.run-id']).toBe(report.runId);
    expect(summary['added-records']).toBe('10');
    // the recipe's ingest_date is not a column: the table is unpartitioned
    expect(md['partition-specs']?.[0]?.fields).toEqual([]);
    // the original's table naming and spec §6 properties
    expect(md.properties?.['asset.name']).toBeDefined();
  });

  it('a crash before the commit leaves the table without a snapshot; the rerun adds each row once', async () => {
    const job = await writeJob();
    const crashed = await run(job, { DATIVO_TEST_CRASH_AT: 'before-record' });
    expect(crashed.signal).toBe('SIGKILL');
    const hint = path.join(tmp, 'warehouse/dativo/csv_person/metadata/version-hint.text');
    const v = (await readFile(hint, 'utf8')).trim();
    const md = parseTableMetadata(
      await readFile(path.join(path.dirname(hint), `v${v}.metadata.json`), 'utf8'),
    );
    expect(md.snapshots).toHaveLength(0);

    const rerun = await run(job);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(reportOf(rerun).rows.written).toBe(10);
    expect(await icebergRead({ tableUrl: tableUrl() })).toHaveLength(10);
    // nothing new: no second snapshot
    const again = await run(job);
    expect(again.code).toBe(0);
    const after = await icebergMetadata({ tableUrl: tableUrl() });
    expect(after.snapshots).toHaveLength(1);
  });

  it('partitioned by a transform of a contract column', async () => {
    const job = await writeJob(['month(ModifiedDate)']);
    const r = await run(job);
    expect(r.code, r.stderr).toBe(0);
    const md = await icebergMetadata({ tableUrl: tableUrl() });
    expect(md['partition-specs']?.[0]?.fields?.[0]).toMatchObject({
      name: 'ModifiedDate_month',
      transform: 'month',
    });
    expect(await icebergRead({ tableUrl: tableUrl() })).toHaveLength(10);
  });

  it('dativo iceberg expire removes the older snapshot and keeps every row', async () => {
    const job = await writeJob();
    expect((await run(job)).code).toBe(0);
    // a second snapshot: the same rows again, written by a second job (its own state)
    const second = path.join(tmp, 'person_again.yaml');
    await writeFile(second, await readFile(job, 'utf8'));
    const again = await run(second);
    expect(again.code, again.stderr).toBe(0);
    const hint = path.join(tmp, 'warehouse/dativo/csv_person/metadata/version-hint.text');
    const v = await readFile(hint, 'utf8');
    const before = parseTableMetadata(
      await readFile(path.join(path.dirname(hint), `v${v}.metadata.json`), 'utf8'),
    );
    expect(before.snapshots).toHaveLength(2);

    const bad = await runCli(['iceberg', 'expire', '--config', job, '--older-than', 'soon'], { env: ENV });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--older-than must be a number with m, h, d or w');

    const r = await runCli(
      ['iceberg', 'expire', '--config', job, '--older-than', '0m', '--retain-last', '1', '--json'],
      { env: ENV },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = reportOf(r);
    expect(report.table).toBe('dativo.csv_person');
    expect(report.removedSnapshots).toEqual([String(before.snapshots[0]?.['snapshot-id'])]);
    const after = await icebergMetadata({ tableUrl: tableUrl() });
    expect(after.snapshots).toHaveLength(1);
    expect(await icebergRead({ tableUrl: tableUrl() })).toHaveLength(20);
  });

  it("dativo iceberg compact rewrites three runs' files into one with the same rows; a bad flag exits 2", async () => {
    const job = await writeJob();
    for (const name of ['a', 'b', 'c']) {
      // three jobs (each its own state) append the same 10 rows: three small files
      const copy = path.join(tmp, `person_${name}.yaml`);
      await writeFile(copy, await readFile(job, 'utf8'));
      const r = await run(copy);
      expect(r.code, r.stderr).toBe(0);
    }
    const liveFiles = async () => {
      const md = await icebergMetadata({ tableUrl: tableUrl() });
      return (await icebergManifests(md)).flatMap((m) => m.entries).filter((e) => e.status !== 2);
    };
    const key = (x: Record<string, unknown>) =>
      JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    const before = (await icebergRead({ tableUrl: tableUrl() })).map(key).sort();
    expect(before).toHaveLength(30);
    expect(await liveFiles()).toHaveLength(3);

    const bad = await runCli(['iceberg', 'compact', '--config', job, '--min-files', '1'], { env: ENV });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--min-files must be an integer ≥ 2, got "1"');

    const r = await runCli(['iceberg', 'compact', 'dativo.csv_person', '--config', job, '--json'], {
      env: ENV,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r)).toMatchObject({
      table: 'dativo.csv_person',
      rewrittenFiles: 3,
      addedFiles: 1,
      rows: 30,
    });
    expect((await icebergRead({ tableUrl: tableUrl() })).map(key).sort()).toEqual(before);
    const files = await liveFiles();
    expect(files).toHaveLength(1);
    expect(files[0]?.data_file.file_path).toMatch(
      /\/data\/ingest_date=\d{4}-\d\d-\d\d\/person-r\d{8}T\d{9}-[0-9a-f]{6}-00000\.parquet$/,
    );
    const md = await icebergMetadata({ tableUrl: tableUrl() });
    expect(md.snapshots?.at(-1)?.summary?.operation).toBe('replace');

    const again = await runCli(['iceberg', 'compact', '--config', job], { env: ENV });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('dativo.csv_person: nothing to compact');
  });
});
