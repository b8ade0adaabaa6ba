/**
 * The Python PDK (plugin-pdk/python/dativo_pdk) in plain CPython: its unittest suite, with a fake
 * `send`, run by the machine's python3 (standard library only, no bytecode written).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const PDK = path.resolve(import.meta.dirname, '../../../plugin-pdk/python');

const python = spawnSync('python3', ['--version']).status === 0;

describe.skipIf(!python)('the Python PDK helpers (CPython unittest)', () => {
  it('paginate, with_retry, RateLimiter, OAuth2ClientCredentials, IncrementalCursor: all pass', () => {
    const r = spawnSync('python3', ['-B', '-m', 'unittest', 'discover', '-s', 'tests', '-v'], {
      cwd: PDK,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', PYTHONDONTWRITEBYTECODE: '1' },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const ran = /Ran (\d+) tests?/.exec(r.stderr);
    expect(Number(ran?.[1])).toBeGreaterThanOrEqual(18);
    expect(r.stderr).toMatch(/\nOK\s*$/);
  });
});
