import * as os from 'node:os';
import * as path from 'node:path';
import { Float64, Int64, TimestampMicrosecond, Utf8 } from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import type { ResolvedJob } from '../../../host/config/types.js';
import { createLocalSink, localTargetRoot } from '../../../host/sinks/local/index.js';
import { takeRows } from '../../../host/sinks/parquet/arrow.js';
import { batchOf, T } from './helpers.js';

function sample() {
  return batchOf([
    { name: 'id', type: new Int64(), data: T.int64([10n, 11n, 12n, 13n, 14n, 15n, 16n, 17n, 18n, 19n]) },
    { name: 'f', type: new Float64(), data: T.float64([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5]) },
    {
      name: 'd',
      type: T.decimal([0n], 10, 2).type,
      data: T.decimal([1n, -2n, 3n, -4n, 5n, -6n, 7n, -8n, 9n, -10n], 10, 2),
    },
    { name: 'day', type: T.date([0]).type, data: T.date([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) },
    {
      name: 'ts',
      type: new TimestampMicrosecond('UTC'),
      data: T.tsMicros([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n], 'UTC'),
    },
    {
      name: 'b',
      type: T.bool([]).type,
      data: T.bool([true, false, false, true, true, false, true, false, true, true]),
    },
    { name: 's', type: new Utf8(), data: T.utf8(['a', null, 'ccc', '', 'ée', null, 'g', 'hh', 'i', 'j']) },
  ]);
}

const rows = (b: ReturnType<typeof sample>) =>
  Array.from({ length: b.numRows }, (_, i) =>
    b.schema.fields.map((f) => {
      const v = b.getChild(f.name)?.get(i);
      return v === null || typeof v !== 'object' ? v : String(v);
    }),
  );

describe('takeRows', () => {
  test('picks rows of every §4 type, nulls included', () => {
    const b = sample();
    const all = rows(b);
    const idx = [9, 1, 3, 5, 0];
    expect(rows(takeRows(b, Uint32Array.from(idx)))).toEqual(idx.map((i) => all[i]));
  });

  test('works on a sliced batch (non-zero offsets, bit-packed booleans)', () => {
    const b = sample();
    const sliced = b.slice(3, 10);
    const all = rows(sliced);
    const idx = [0, 6, 2, 3];
    expect(rows(takeRows(sliced, Uint32Array.from(idx)))).toEqual(idx.map((i) => all[i]));
  });
});

describe('createLocalSink', () => {
  test('needs target.connection.path, and resolves a relative one against baseDir', () => {
    const job = (path: unknown) =>
      ({ target: { connection: { path } }, contract: { name: 'x' } }) as unknown as ResolvedJob;
    expect(() => createLocalSink(job(undefined))).toThrow(
      'a local target needs target.connection.path (the output directory)',
    );
    const base = os.tmpdir();
    expect(localTargetRoot({ ...job('out/data'), baseDir: base })).toBe(path.join(base, 'out', 'data'));
    expect(createLocalSink(job(path.join(base, 'x'))).kind).toBe('local');
  });
});
