/**
 * Which reader runs a database job: the original read Postgres and MySQL natively although their
 * recipes name Meltano, so a job that does not name an engine keeps running natively; a job that
 * names one gets it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadJob } from '../../../host/config/load-job.js';
import { openSource, resolveJob } from '../../../host/connectors/index.js';
import { REPO } from '../../helpers/cli.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-route-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const env = { PGHOST: '127.0.0.1', PGPORT: '1', PGDATABASE: 'd', PGUSER: 'u', PGPASSWORD: 'p' };

async function pgJob(engine: string): Promise<string> {
  const file = path.join(tmp, `pg-${engine || 'default'}.yaml`);
  await writeFile(
    file,
    [
      'tenant_id: t',
      'source_connector_path: connectors/postgres.yaml',
      'target_connector_path: connectors/local.yaml',
      'asset_path: tests/fixtures/original-configs/assets/postgres/v1.0/db_orders.yaml',
      'source:',
      '  tables: [{name: orders}]',
      ...(engine ? ['  engine:', `    type: ${engine}`] : []),
      'target:',
      `  connection: {path: ${JSON.stringify(path.join(tmp, 'out'))}}`,
    ].join('\n'),
  );
  return file;
}

describe('engine routing of database sources', () => {
  it('a Postgres job without an engine of its own runs natively, as in the original', async () => {
    const job = await loadJob(await pgJob(''), { cwd: REPO, env });
    expect(job.source.engine).toBe('meltano'); // the recipe's default, as the config says
    expect(job.source.engineExplicit).toBe(false);
    expect(() => resolveJob(job)).not.toThrow();
    expect((await openSource(job, 100)).kind).toBe('postgres');
  });

  it('a job that names Meltano gets the Meltano engine', async () => {
    const job = await loadJob(await pgJob('meltano'), { cwd: REPO, env });
    expect(job.source.engineExplicit).toBe(true);
    const src = await openSource(job, 100).catch((e: Error) => e);
    expect(src instanceof Error ? src.message : src.kind).toMatch(/meltano/i);
  });
});
