/**
 * Prints parse throughput on ~50 MB of the benchmark's 12-column CSV, for the integrator to see.
 * Not asserted: timings on a shared machine are no test. `bench/csv-parse.ts` does the same on
 * a bigger file against DuckDB.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCsv } from '../../../bench/gen-csv.js';
import { parseCsvOptions } from '../../../host/sources/csv/options.js';
import { readCsvFile } from '../../../host/sources/csv/read-file.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dativo-csv-tp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('csv parse throughput (printed, not asserted)', () => {
  it('parses ~50 MB of 12-column CSV', async () => {
    const rows = 370_000;
    const file = path.join(dir, 'tp.csv');
    await generateCsv(file, rows);
    const mb = statSync(file).size / 1e6;
    let best = Number.POSITIVE_INFINITY;
    let count = 0;
    for (let run = 0; run < 3; run++) {
      const t0 = performance.now();
      count = 0;
      for await (const b of readCsvFile(file, { csv: parseCsvOptions({}), batchSize: 10_000 }))
        count += b.batch.numRows;
      best = Math.min(best, (performance.now() - t0) / 1000);
    }
    expect(count).toBe(rows);
    console.log(
      `[csv throughput] ${rows} rows × 12 cols, ${mb.toFixed(1)} MB: best of 3 ${best.toFixed(3)} s = ` +
        `${(mb / best).toFixed(0)} MB/s (${(rows / best / 1e6).toFixed(2)} M rows/s)`,
    );
  }, 120_000);
});
