/**
 * examples/csv-to-iceberg as documented: `dativo run --config examples/csv-to-iceberg/job.yaml`
 * from the repository root, the table read back by icebird; the rerun commits no second snapshot.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { icebergMetadata, icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportOf, runCli } from '../../helpers/cli.js';
import { installFileFetch } from '../../unit/iceberg/helpers.js';

let tmp: string;
let restore: () => void;
beforeAll(async () => {
  restore = installFileFetch();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-example-ice-'));
});
afterAll(async () => {
  restore();
  await rm(tmp, { recursive: true, force: true });
});

describe('examples/csv-to-iceberg', () => {
  it('writes the ten quickstart orders as one Iceberg snapshot; a rerun adds none', async () => {
    const warehouse = path.join(tmp, 'warehouse');
    const run = () =>
      runCli(
        [
          'run',
          '--config',
          'examples/csv-to-iceberg/job.yaml',
          '--state-dir',
          path.join(tmp, 'state'),
          '--json',
        ],
        { env: { WAREHOUSE: warehouse } },
      );
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    expect(reportOf(first).rows.written).toBe(10);

    const tableUrl = `${pathToFileURL(warehouse).href}/sales/sales_orders`;
    const rows = await icebergRead({ tableUrl });
    expect(rows).toHaveLength(10);
    const ids = rows.map((r) => Number(r.SalesOrderID)).sort((a, b) => a - b);
    expect(ids[0]).toBe(43659);
    expect(new Set(ids).size).toBe(10);
    expect(rows.find((r) => Number(r.SalesOrderID) === 43659)?.SalesOrderNumber).toBe('SO43659');

    const second = await run();
    expect(second.code, second.stderr).toBe(0);
    expect(reportOf(second).rows.written).toBe(0);
    const md = await icebergMetadata({ tableUrl });
    expect(md['format-version']).toBe(2);
    expect(md.snapshots).toHaveLength(1);
    const summary = (md.snapshots?.[0]?.summary ?? {}) as Record<string, string>;
    expect(summary['added-records']).toBe('10');
  });
});
