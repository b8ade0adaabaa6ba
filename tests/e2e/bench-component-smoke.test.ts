/**
 * A smoke run of bench/component-plugin.ts (component beside Extism: cold start, per-call
 * overhead, batch throughput) with a tiny batch, so the script cannot rot. It checks that every
 * figure is printed as a number, never what the numbers are: timings on a shared machine are not
 * claims (docs/benchmarks.md).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

describe('bench/component-plugin.ts', () => {
  it('runs and prints cold start, per-call overhead and throughput for both runtimes', async () => {
    const { stdout } = await promisify(execFile)(
      path.join(REPO, 'node_modules', '.bin', 'tsx'),
      ['bench/component-plugin.ts', '1000'],
      { cwd: REPO, timeout: 1_200_000, maxBuffer: 16 * 1024 * 1024 },
    );
    expect(stdout).toMatch(
      /^component: first start in this process \d+ ms .*, next start \d+ ms .*, its first call \d+ ms$/m,
    );
    expect(stdout).toMatch(/^extism: {4}cold start \d+ ms$/m);
    expect(stdout).toMatch(/^per call \(check\): component \d+ µs, extism \d+ µs$/m);
    expect(stdout).toMatch(/^component boundary: \d+ batches of [\d.]+ MB in \d+ ms = \d+ MB\/s$/m);
    expect(stdout).toMatch(
      /^component batch: 1000 rows, [\d.]+ MB built inside and moved in \d+ ms = [\d.]+ MB\/s$/m,
    );
  }, 1_500_000);
});
