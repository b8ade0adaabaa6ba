/**
 * A writer plugin into Iceberg through the REST catalog on radosgw (`dativo run`): the original's
 * adventureworks_person_to_iceberg.yaml with a Rust test plugin that writes plain Parquet
 * (tests/e2e/pdk/parquet-writer) as its writer. The host checks the plugin's Parquet, re-encodes it
 * into the table's data files on S3 and commits one snapshot; icebird reads the rows back and a
 * rerun has nothing new.
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
import { buildRustPlugins, rustPluginDir } from '../../e2e/pdk/fixtures.js';
import { reportOf, runCli } from '../../helpers/cli.js';
import { JOB_BUCKET, JOBS, ORIGINAL, REPO, type Rgw, startRgw } from '../s3-sink/radosgw.js';
import { withS3Fetch } from './s3-fetch.js';

const TOKEN = 'plugin-rest-token-8d1e2b';
const root = `iceberg-rest-plugin/${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
let rgw: Rgw;
let store: S3ObjectStore;
let server: RunningRestCatalog;
let tmp: string;
let plugin: string;
let jobFile: string;
let restoreFetch: () => void;

beforeAll(async () => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: REPO,
    stdio: 'inherit',
  });
  buildRustPlugins('pdk-parquet-writer');
  plugin = rustPluginDir('pdk-parquet-writer', { role: 'writer', capabilities: { output_mb: 64 } });
  rgw = await startRgw();
  store = createS3Store({ ...rgw.conn, bucket: JOB_BUCKET, prefix: root });
  const catalog = createFilesystemCatalog({ store, warehouse: `s3://${JOB_BUCKET}/${root}` });
  server = await startRestCatalogServer({ catalog, token: TOKEN });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-iceberg-rest-plugin-'));
  // the original job, its target written by the plugin, committed through the REST catalog
  const job = parseYaml(
    await readFile(path.join(ORIGINAL, JOBS, 'adventureworks_person_to_iceberg.yaml'), 'utf8'),
  );
  job.target.plugin = { path: plugin };
  job.target.connection.nessie = { uri: '${ICEBERG_REST_URI}', token: '${ICEBERG_REST_TOKEN}' };
  jobFile = path.join(tmp, 'person_plugin_to_iceberg_rest.yaml');
  await writeFile(jobFile, toYaml(job));
  restoreFetch = withS3Fetch(rgw.client);
}, 600_000);
afterAll(async () => {
  restoreFetch?.();
  await server?.close();
  store?.close();
  rgw?.client.destroy();
  if (tmp) await rm(tmp, { recursive: true, force: true });
  if (plugin) await rm(plugin, { recursive: true, force: true });
});

const run = () =>
  runCli(['run', '--config', jobFile, '--json', '--state-dir', path.join(tmp, 'state')], {
    cwd: ORIGINAL,
    env: { ...rgw.env, ICEBERG_REST_URI: server.url, ICEBERG_REST_TOKEN: TOKEN },
  });

describe('a writer plugin into Iceberg through the REST catalog (radosgw)', () => {
  it('commits one snapshot of the plugin rows that icebird reads back; a rerun has nothing new', async () => {
    const r = await run();
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).rows.written).toBe(10);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);

    const client = createRestCatalog({ uri: server.url, token: TOKEN });
    const t = await client.loadTable({ namespace: ['dativo'], name: 'csv_person' });
    const md = t?.metadata;
    expect(md?.snapshots).toHaveLength(1);
    expect(md?.snapshots[0]?.summary['dativo.run-id']).toBe(reportOf(r).runId);
    expect(md?.snapshots[0]?.summary['added-records']).toBe('10');

    const rows = await icebergRead({
      tableUrl: md?.location as string,
      metadataFileName: path.posix.basename(t?.metadataLocation as string),
    });
    expect(rows).toHaveLength(10);
    const ids = rows.map((x) => Number(x.BusinessEntityID)).sort((a, b) => a - b);
    expect(new Set(ids).size).toBe(10);
    expect(rows.some((x) => x.LastName === 'Sánchez')).toBe(true);
    expect(rows.every((x) => x.ModifiedDate instanceof Date)).toBe(true);

    const again = await run();
    expect(again.code, again.stderr).toBe(0);
    expect(reportOf(again).status).toBe('nothing_new');
    const after = await client.loadTable({ namespace: ['dativo'], name: 'csv_person' });
    expect(after?.metadata.snapshots).toHaveLength(1);
  }, 240_000);
});
