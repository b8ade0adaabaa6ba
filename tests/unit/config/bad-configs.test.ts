import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJob } from '../../../host/config/load-job.js';
import { BAD, catchErr, REPO } from './helpers.js';

interface Case {
  file: string;
  mode?: 'self_hosted' | 'cloud';
  env?: Record<string, string>;
  code: string;
  errorFile: string;
  line: number;
  column: number;
  keyPath: string | null;
  messageIncludes: string;
}

const manifest = JSON.parse(readFileSync(path.join(BAD, 'expected.json'), 'utf8')) as Case[];

describe('bad-config corpus (tests/fixtures/bad-configs/expected.json)', () => {
  it('has at least 28 cases, each a file that exists', () => {
    expect(manifest.length).toBeGreaterThanOrEqual(28);
    for (const c of manifest) expect(() => readFileSync(path.join(REPO, c.file))).not.toThrow();
  });

  it.each(manifest.map((c) => [path.basename(c.file), c] as const))('%s', async (_name, c) => {
    const { first } = await catchErr(() =>
      loadJob(c.file, { cwd: REPO, env: c.env ?? {}, mode: c.mode ?? 'self_hosted' }),
    );
    expect(first.code).toBe(c.code);
    expect(first.location?.file).toBe(path.join(REPO, c.errorFile));
    expect(first.location?.line).toBe(c.line);
    expect(first.location?.column).toBe(c.column);
    expect(first.location?.keyPath ?? null).toBe(c.keyPath);
    expect(first.message).toContain(c.messageIncludes);
  });

  it('the baseline the corpus is built from loads', async () => {
    const job = await loadJob(path.join(BAD, 'valid-baseline.yaml'), { cwd: REPO, env: {} });
    expect(job.source.type).toBe('csv');
    expect(job.target.type).toBe('local');
    expect(job.target.connection.path).toBe(path.join(REPO, 'output'));
  });

  it('reports every problem of one file at once, in file order', async () => {
    const { all } = await catchErr(() =>
      loadJob(path.join(BAD, 'many-problems.yaml'), { cwd: REPO, env: {} }),
    );
    expect(all.map((e) => [e.location?.keyPath, e.location?.line, e.location?.column])).toEqual([
      ['tenant_id', 2, 1],
      ['schema_validation_mode', 6, 1],
      ['source.files[0]', 9, 7],
      ['source.incremental.lookback_days', 11, 5],
      ['target.compression', 13, 3],
      ['colour', 14, 1],
    ]);
    expect(all.every((e) => e.code === 'CONFIG_INVALID')).toBe(true);
  });
});
