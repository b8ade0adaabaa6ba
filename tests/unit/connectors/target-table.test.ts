/** `openTargetTable`: maintenance commands reach a job's Iceberg table only through the registry. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResolvedJob } from '../../../host/config/types.js';
import { openTargetTable } from '../../../host/connectors/index.js';
import { DativoError } from '../../../host/errors.js';

function job(target: Partial<ResolvedJob['target']>): ResolvedJob {
  return {
    file: 'job.yaml',
    locate: (keyPath: string) => ({ file: 'job.yaml', keyPath }),
    contract: { domain: 'sales', name: 'orders' },
    target: { engine: 'native', config: {}, options: {}, fileFormat: 'parquet', ...target },
  } as unknown as ResolvedJob;
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('openTargetTable', () => {
  it("opens an iceberg target's catalog and names its table <domain>.<asset>", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dativo-target-table-'));
    dirs.push(dir);
    const target = await openTargetTable(job({ type: 'iceberg', connection: { path: dir } }));
    try {
      expect(target.ident).toEqual({ namespace: ['sales'], name: 'orders' });
      expect(await target.catalog.loadTable(target.ident)).toBeUndefined();
    } finally {
      target.close();
    }
  });

  it('refuses a target that is not a table, naming target.type', async () => {
    const err = await openTargetTable(job({ type: 'local', connection: { path: 'out' } })).catch((e) => e);
    expect(err).toBeInstanceOf(DativoError);
    expect([err.code, err.message, err.location?.keyPath]).toEqual([
      'CONFIG_INVALID',
      'target.type is local, not a table format (iceberg)',
      'target.type',
    ]);
  });
});
