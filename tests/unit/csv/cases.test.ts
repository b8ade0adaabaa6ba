/**
 * DuckDB-style edge cases: every tests/fixtures/csv-cases/<name>.csv has <name>.expected.json beside
 * it. Each is parsed whole, and in 1-, 2- and 7-byte chunks with tiny batches, and must give the
 * same rows, line numbers and row errors every time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBytes, repoRoot } from './helpers.js';

const dir = new URL('tests/fixtures/csv-cases/', repoRoot);
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.csv'))
  .sort();

interface Expected {
  about: string;
  options?: Record<string, unknown>;
  columnNames?: string[];
  columns: string[] | null;
  rows: (string | null)[][];
  lines: number[];
  rowErrors?: { line: number; rule: string; message: string; raw?: string }[];
}

describe('csv edge cases', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(15));

  for (const file of cases) {
    const name = file.replace(/\.csv$/, '');
    const expected = JSON.parse(readFileSync(new URL(`${name}.expected.json`, dir), 'utf8')) as Expected;
    const bytes = readFileSync(new URL(file, dir));
    for (const [chunk, batchSize] of [
      [0, 1000],
      [1, 1],
      [2, 2],
      [7, 3],
    ] as const) {
      it(`${name} (chunks of ${chunk || 'all'}, batches of ${batchSize}): ${expected.about}`, () => {
        const got = parseBytes(bytes, expected.options, chunk, batchSize, expected.columnNames);
        expect(got.columns ?? null).toEqual(expected.columns);
        expect(got.rows).toEqual(expected.rows);
        expect(got.lines).toEqual(expected.lines);
        const errors = got.rowErrors.map((e) => ({
          line: e.line,
          rule: e.rule,
          message: e.message,
          ...(expected.rowErrors?.some((x) => x.raw !== undefined) ? { raw: e.raw } : {}),
        }));
        expect(errors).toEqual(expected.rowErrors ?? []);
        for (const n of got.batchSizes.slice(0, -1)) expect(n).toBeLessThanOrEqual(batchSize);
      });
    }
  }
});
