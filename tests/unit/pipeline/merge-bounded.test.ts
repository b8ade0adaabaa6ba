import { describe, expect, it } from 'vitest';
import { mergeBounded } from '../../../host/sources/merge.js';

const tick = () => new Promise<void>((r) => setTimeout(r, 1));

function producer(name: string, n: number, log: string[], failAt?: number) {
  return async function* () {
    try {
      for (let i = 0; i < n; i++) {
        await tick();
        if (i === failAt) throw new Error(`${name} broke at ${i}`);
        log.push(`${name}${i}`);
        yield `${name}${i}`;
      }
    } finally {
      log.push(`${name}:closed`);
    }
  };
}

describe('mergeBounded', () => {
  it('yields every item of every producer exactly once, interleaved', async () => {
    const log: string[] = [];
    const got: string[] = [];
    for await (const x of mergeBounded(
      [producer('a', 5, log), producer('b', 5, log), producer('c', 3, log)],
      2,
    ))
      got.push(x);
    expect([...got].sort()).toEqual([
      'a0',
      'a1',
      'a2',
      'a3',
      'a4',
      'b0',
      'b1',
      'b2',
      'b3',
      'b4',
      'c0',
      'c1',
      'c2',
    ]);
    // Two run at once: b's first item arrives before a finishes.
    expect(got.indexOf('b0')).toBeLessThan(got.indexOf('a4'));
  });

  it('never runs more than `concurrency` producers nor lets one run more than `buffer` ahead', async () => {
    let running = 0;
    let peak = 0;
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    const make = () =>
      async function* () {
        running++;
        peak = Math.max(peak, running);
        try {
          for (let i = 0; i < 10; i++) {
            await tick();
            produced++;
            maxAhead = Math.max(maxAhead, produced - consumed);
            yield i;
          }
        } finally {
          running--;
        }
      };
    for await (const _ of mergeBounded([make(), make(), make(), make()], 3, 2)) {
      consumed++;
      await tick();
      await tick();
    }
    expect(consumed).toBe(40);
    expect(peak).toBe(3);
    expect(maxAhead).toBeLessThanOrEqual(3 * 2 + 1);
  });

  it('a failing producer stops the others and the error reaches the consumer', async () => {
    const log: string[] = [];
    const run = async () => {
      for await (const _ of mergeBounded([producer('a', 100, log), producer('b', 100, log, 3)], 2)) {
      }
    };
    await expect(run()).rejects.toThrow('b broke at 3');
    expect(log).toContain('a:closed');
    expect(log.filter((l) => l.startsWith('a') && l !== 'a:closed').length).toBeLessThan(100);
  });

  it('a consumer that stops early closes every producer', async () => {
    const log: string[] = [];
    for await (const x of mergeBounded([producer('a', 100, log), producer('b', 100, log)], 2)) {
      if (x === 'a2') break;
    }
    expect(log).toContain('a:closed');
    expect(log).toContain('b:closed');
  });

  it('concurrency 1 is plain sequential reading', async () => {
    const log: string[] = [];
    const got: string[] = [];
    for await (const x of mergeBounded([producer('a', 2, log), producer('b', 2, log)], 1)) got.push(x);
    expect(got).toEqual(['a0', 'a1', 'b0', 'b1']);
  });
});
