import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownSourceBytes, progressFields } from '../../../host/observability/progress.js';

describe('progress', () => {
  it('rates and ETA from what was read so far and the known total', () => {
    // 25 MB of 100 MB in 10 s: 2.5 MB/s, 75 MB left → 30 s.
    expect(progressFields(50_000, 25e6, 100e6, 10_000)).toEqual({
      rows: 50_000,
      mb: '25.0',
      rate: 5000,
      mbps: '2.5',
      eta: '30s',
    });
    // 10 MB of 1 GB in 10 s → 990 s left.
    expect(progressFields(1, 10e6, 1e9, 10_000).eta).toBe('16m30s');
    expect(progressFields(1, 1e6, 1e10, 1000).eta).toBe('2h46m');
  });

  it('no ETA when the size is unknown or nothing was read yet', () => {
    expect(progressFields(10, 100, undefined, 1000).eta).toBe('?');
    expect(progressFields(0, 0, 1000, 1000).eta).toBe('?');
  });

  it('knows the size of local files, and nothing when one is missing', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-progress-'));
    try {
      await writeFile(path.join(dir, 'a.csv'), 'x'.repeat(100));
      await writeFile(path.join(dir, 'b.csv'), 'y'.repeat(23));
      expect(await knownSourceBytes([path.join(dir, 'a.csv'), path.join(dir, 'b.csv')])).toBe(123);
      expect(await knownSourceBytes([path.join(dir, 'a.csv'), path.join(dir, 'nope.csv')])).toBeUndefined();
      expect(await knownSourceBytes([])).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
