/**
 * CSV → Iceberg through `dativo run` with the REST catalog: the original's
 * adventureworks_person_to_iceberg.yaml plus `target.connection.nessie.uri` pointing at our REST
 * server (filesystem catalog over radosgw behind it, bearer token required). The table is read
 * back by icebird (an independent reader) with the exact rows of Person.csv, and a rerun adds
 * nothing (the state is in the snapshot).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { createFilesystemCatalog } from '../../../host/iceberg/fs-catalog.js';
import { createRestCatalog } from '../../../host/iceberg/rest/client.js';
import { type RunningRestCatalog, startRestCatalogServer } from '../../../host/iceberg/rest/server.js';
import { createS3Store, type S3ObjectStore } from '../../../host/sinks/store/s3.js';
import { reportOf, runCli } from '../../helpers/cli.js';
import { JOB_BUCKET, JOBS, ORIGINAL, REPO, type Rgw, startRgw } from '../s3-sink/radosgw.js';
import { withS3Fetch } from './s3-fetch.js';

const TOKEN = 'cli-rest-token-5f3a9c';
const root = `iceberg-rest-cli/${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
let rgw: Rgw;
let store: S3ObjectStore;
let server: RunningRestCatalog;
let tmp: string;
let jobFile: string;
let restoreFetch: () => void;

/** Person.csv's first 10 rows as icebird returns them (long → bigint, naive timestamp → Date). */
async function expectedRows(): Promise<Record<string, unknown>[]> {
  const text = await readFile(path.join(ORIGINAL, 'tests/fixtures/seeds/adventureworks/Person.csv'), 'utf8');
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const cols = (header as string).split(',');
  const ints = new Set(['BusinessEntityID', 'NameStyle', 'EmailPromotion']);
  return lines.map((line) => {
    const cells = line.split(',');
    const row: Record<string, unknown> = {};
    cols.forEach((c, i) => {
      const v = cells[i] ?? '';
      if (v === '') row[c] = null;
      else if (ints.has(c)) row[c] = BigInt(v);
      else if (c === 'ModifiedDate') row[c] = new Date(`${v.replace(' ', 'T')}Z`);
      else row[c] = v;
    });
    return row;
  });
}

beforeAll(async () => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: REPO,
    stdio: 'inherit',
  });
  rgw = await startRgw();
  store = createS3Store({ ...rgw.conn, bucket: JOB_BUCKET, prefix: root });
  const catalog = createFilesystemCatalog({ store, warehouse: `s3://${JOB_BUCKET}/${root}` });
  server = await startRestCatalogServer({ catalog, token: TOKEN });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-iceberg-rest-cli-'));
  // the original job, unchanged but for the REST catalog it is pointed at
  const job = parseYaml(
    await readFile(path.join(ORIGINAL, JOBS, 'adventureworks_person_to_iceberg.yaml'), 'utf8'),
  );
  job.target.connection.nessie = { uri: '${ICEBERG_REST_URI}', token: '${ICEBERG_REST_TOKEN}' };
  jobFile = path.join(tmp, 'person_to_iceberg_rest.yaml');
  await writeFile(jobFile, toYaml(job));
  restoreFetch = withS3Fetch(rgw.client);
});
afterAll(async () => {
  restoreFetch?.();
  await server?.close();
  store?.close();
  rgw?.client.destroy();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const run = () =>
  runCli(['run', '--config', jobFile, '--json', '--state-dir', path.join(tmp, 'state')], {
    cwd: ORIGINAL,
    env: { ...rgw.env, ICEBERG_REST_URI: server.url, ICEBERG_REST_TOKEN: TOKEN },
  });

describe('CSV → Iceberg through the REST catalog (dativo run)', () => {
  it('commits one snapshot that icebird reads back with the exact rows; a rerun adds nothing', async () => {
    const r = await run();
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).rows.written).toBe(10);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);

    const client = createRestCatalog({ uri: server.url, token: TOKEN });
    const t = await client.loadTable({ namespace: ['dativo'], name: 'csv_person' });
    expect(t?.metadataLocation).toMatch(
      new RegExp(`^s3://${JOB_BUCKET}/${root}/dativo/csv_person/metadata/v\\d+\\.metadata\\.json$`),
    );
    const md = t?.metadata;
    expect(md?.snapshots).toHaveLength(1);
    expect(reportOf(r).runId).toMatch(/\S/);
    expect(md?.snapshots[0]?.summary['dativo.run-id']).toBe(reportOf(r).runId);
    expect(md?.snapshots[0]?.summary['added-records']).toBe('10');

    const rows = await icebergRead({
      tableUrl: md?.location as string,
      metadataFileName: path.posix.basename(t?.metadataLocation as string),
    });
    const want = await expectedRows();
    const key = (x: Record<string, unknown>) => Number(x.BusinessEntityID);
    const got = [...rows].sort((a, b) => key(a) - key(b));
    expect(got.length).toBe(10);
    // compare the contract's columns only (the sink may add ingest columns)
    expect(
      got.map((g) => Object.fromEntries(Object.keys(want[0] ?? {}).map((k) => [k, g[k] ?? null]))),
    ).toEqual(want);

    const again = await run();
    expect(again.code, again.stderr).toBe(0);
    expect(reportOf(again).status).toBe('nothing_new');
    const after = await client.loadTable({ namespace: ['dativo'], name: 'csv_person' });
    expect(after?.metadata.snapshots).toHaveLength(1);
  });
});
