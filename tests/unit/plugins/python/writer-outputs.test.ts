/** A Python writer's output folder against what its write_batch calls returned. */
import { describe, expect, it } from 'vitest';
import { DativoError } from '../../../../host/errors.js';
import { checkOutputs, type OutputEntry } from '../../../../host/plugins/python/writer-outputs.js';

const BASE = '/dativo/output';

function failure(entries: OutputEntry[], returned: object[]): { code: string; message: string } {
  try {
    checkOutputs('w', BASE, entries, returned);
  } catch (e) {
    if (e instanceof DativoError) return { code: e.code, message: e.message };
  }
  throw new Error('expected a DativoError');
}

describe('checkOutputs', () => {
  it('accepts absolute and relative returned paths, sub-folders, and the last size of a rewritten file', () => {
    const entries: OutputEntry[] = [
      { name: 'a.jsonl', kind: 'file', size: 10 },
      { name: 'csv/b.csv', kind: 'file', size: 7 },
    ];
    const returned = [
      { path: `${BASE}/a.jsonl`, size_bytes: 4, record_count: 1 },
      { path: 'csv/b.csv', size_bytes: 7, record_count: 2 },
      { path: `${BASE}/a.jsonl`, size_bytes: 10, record_count: 3 },
    ];
    expect(checkOutputs('w', BASE, entries, returned).map((e) => e.name)).toEqual(['a.jsonl', 'csv/b.csv']);
  });

  it('refuses a file that was not returned, naming its sandbox path', () => {
    expect(failure([{ name: 'x.tmp', kind: 'file', size: 1 }], [])).toEqual({
      code: 'PLUGIN_BAD_OUTPUT',
      message: '/dativo/output/x.tmp was written but not returned by write_batch; nothing was published',
    });
  });

  it('refuses a returned file that is missing or of another size', () => {
    expect(failure([], [{ path: `${BASE}/gone.csv` }]).message).toBe(
      'write_batch returned /dativo/output/gone.csv, which does not exist at commit',
    );
    expect(
      failure([{ name: 'a.csv', kind: 'file', size: 3 }], [{ path: 'a.csv', size_bytes: 5 }]).message,
    ).toBe('write_batch returned /dativo/output/a.csv with size_bytes 5, but it has 3 bytes at commit');
  });

  it('refuses symbolic links and paths outside the output base', () => {
    expect(failure([{ name: 'l', kind: 'symlink' }], [{ path: 'l' }]).message).toMatch(
      /^\/dativo\/output\/l is a symbolic link/,
    );
    expect(failure([], [{ path: '../plugin/w.py' }]).message).toBe(
      'write_batch returned ../plugin/w.py, which is not under the output base /dativo/output',
    );
    expect(failure([], [{ path: '/etc/passwd' }]).message).toMatch(/is not under the output base/);
    expect(failure([], [{ size_bytes: 1 }]).message).toMatch(/a file without a path/);
  });
});
