/** bench/lib/compare.ts on fake commands and a fake executor: order, statistics, RSS, output. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compare,
  type Executor,
  formatComparison,
  peakRssFromTimeV,
  runOrder,
  type Side,
} from '../../../bench/lib/compare.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-compare-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const side = (name: string): Side => ({ name, prepare: () => ({ cmd: name, args: [] }) });

/** An executor that records the order of calls and answers canned times per side. */
function fakeExec(times: Record<string, number[]>, order: string[] = []): Executor {
  const next: Record<string, number> = {};
  return async (name) => {
    order.push(name);
    const i = next[name] ?? 0;
    next[name] = i + 1;
    return { ms: times[name]![i]!, peakRssMb: 100 + i };
  };
}

describe('compare', () => {
  it('interleaves the sides and alternates which goes first', async () => {
    const order: string[] = [];
    await compare([side('a'), side('b')], {
      runs: 4,
      exec: fakeExec({ a: [1, 1, 1, 1], b: [1, 1, 1, 1] }, order),
    });
    expect(order).toEqual(['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']);
    expect(runOrder(3, 1)).toEqual([1, 2, 0]);
  });

  it('reports the median and the spread of each side', async () => {
    const c = await compare([side('a'), side('b')], {
      runs: 5,
      exec: fakeExec({ a: [30, 10, 20, 50, 40], b: [8, 8, 12, 10, 10] }),
    });
    expect(c.sides[0]).toMatchObject({ name: 'a', median: 30, spread: 40 / 30 });
    expect(c.sides[1]).toMatchObject({ name: 'b', median: 10, spread: 0.4 });
    expect(c.sides[0]!.peakRssMb).toBe(104);
  });

  it('gives each reference median over the first side median as the ratio', async () => {
    const c = await compare([side('dativo'), side('pyarrow'), side('duckdb')], {
      runs: 3,
      exec: fakeExec({ dativo: [4, 4, 4], pyarrow: [2, 2, 2], duckdb: [8, 8, 8] }),
    });
    expect(c.ratios).toEqual([
      { name: 'pyarrow', ratio: 0.5 },
      { name: 'duckdb', ratio: 2 },
    ]);
  });

  it('reads the peak RSS from GNU time -v', () => {
    const report =
      '\tCommand being timed: "x"\n\tMaximum resident set size (kbytes): 204800\n\tExit status: 0\n';
    expect(peakRssFromTimeV(report)).toBe(200);
    expect(peakRssFromTimeV('no report')).toBeUndefined();
  });

  it('runs real commands interleaved, each prepared afresh and cleaned up', async () => {
    const log = path.join(tmp, 'order.txt');
    let cleaned = 0;
    const real = (name: string): Side => ({
      name,
      prepare: () => ({
        cmd: process.execPath,
        args: ['-e', `require('fs').appendFileSync(${JSON.stringify(log)}, '${name}\\n')`],
        cleanup: async () => {
          cleaned++;
        },
      }),
    });
    const c = await compare([real('x'), real('y')], { runs: 2 });
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual(['x', 'y', 'y', 'x']);
    expect(cleaned).toBe(4);
    expect(c.sides.map((s) => s.samples.length)).toEqual([2, 2]);
    if (c.sides[0]!.peakRssMb !== undefined) expect(c.sides[0]!.peakRssMb).toBeGreaterThan(1);
  }, 60_000);

  it('fails naming the side, its exit code and its stderr', async () => {
    const bad: Side = {
      name: 'broken',
      prepare: () => ({ cmd: process.execPath, args: ['-e', 'console.error("boom"); process.exit(3)'] }),
    };
    const err = await compare([bad, side('never')], { runs: 1 }).catch((e: unknown) => e);
    expect(String(err)).toContain('broken');
    expect(String(err)).toContain('exited with 3');
    expect(String(err)).toContain('boom');
  }, 60_000);

  it('prints median, spread, ratio, peak RSS and the load average', async () => {
    const c = await compare([side('dativo'), side('duckdb')], {
      runs: 3,
      exec: fakeExec({ dativo: [2000, 1000, 3000], duckdb: [1000, 1000, 1000] }),
      loadavg: () => [0.5, 0.25, 0.125],
    });
    const text = formatComparison(c);
    expect(text).toContain('dativo  median 2.000 s  spread 100.0%  peak RSS 102 MB  (3 runs)');
    expect(text).toContain('duckdb  median 1.000 s  spread 0.0%');
    expect(text).toContain('dativo is 0.50× duckdb');
    expect(text).toContain('load average 0.50 0.25 0.13 before');
  });
});
