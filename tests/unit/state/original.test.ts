/** The original system's state files: entry checks, key adoption, and the backup before migration. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStateStore } from '../../../host/state/index.js';
import { adoptOriginalFileKeys, checkStateEntries } from '../../../host/state/original.js';

describe('checkStateEntries', () => {
  it('accepts the layouts of spec §9 (naive micros, space separator, epoch numbers) and engine state', () => {
    expect(() =>
      checkStateEntries(
        {
          'file_data/a.csv': { last_modified: '2024-01-15T10:30:45.123456', file_id: 'data/a.csv' },
          spreadsheet_1x: { last_modified: '2024-01-15 10:30:45' },
          file_b: { last_modified: 1705314645 },
          'person.modified_date': { last_value: '2014-09-12 11:15:07', updated_at: '2025-11-25T10:02:00' },
          'orders.id': { last_value: null },
          airbyte: { streams: [1, 2] },
        },
        's.json',
      ),
    ).not.toThrow();
  });

  it('names the file and the key of an entry it cannot read', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ 'file_x.csv': 'yesterday' }, 'file_x.csv'],
      [{ 'file_x.csv': { last_modified: 'soon' } }, 'file_x.csv'],
      [{ 'file_x.csv': { file_id: 'x' } }, 'file_x.csv'],
      [{ 'orders.updated_at': { last_value: { nested: 1 } } }, 'orders.updated_at'],
    ];
    for (const [state, key] of bad) {
      expect(() => checkStateEntries(state, '/s/acme/csv.x.state.json')).toThrow(
        expect.objectContaining({
          code: 'STATE_CORRUPT',
          message: expect.stringContaining(`/s/acme/csv.x.state.json: entry "${key}"`),
        }),
      );
    }
  });
});

describe('adoptOriginalFileKeys', () => {
  const files = [
    { path: '/srv/proj/data/a.csv', stateKey: 'file_/srv/proj/data/a.csv' },
    { path: '/srv/proj/data/b.csv', stateKey: 'file_b-id' },
  ];

  it('renames a key written relative to the working directory to ours, and keeps the others', () => {
    const entry = { last_modified: '2024-01-01T00:00:00', file_id: 'data/a.csv' };
    const out = adoptOriginalFileKeys(
      { 'file_data/a.csv': entry, 'file_b-id': { last_modified: 1 }, 'file_other.csv': { last_modified: 2 } },
      files,
      ['/srv/proj'],
    );
    expect(out).toEqual({
      'file_/srv/proj/data/a.csv': entry,
      'file_b-id': { last_modified: 1 },
      'file_other.csv': { last_modified: 2 },
    });
  });

  it('our own key wins over an original one for the same file', () => {
    const state = {
      'file_data/a.csv': { last_modified: 1 },
      'file_/srv/proj/data/a.csv': { last_modified: 2 },
    };
    expect(adoptOriginalFileKeys(state, files, ['/srv/proj'])).toEqual(state);
  });
});

describe('backup before the first write over an original file', () => {
  it('copies the original once; later writes keep that first copy', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dativo-orig-state-'));
    const p = path.join(dir, 'csv.x.state.json');
    const original = '{"file_a.csv": {"last_modified": "2024-01-01T00:00:00.000000"}}';
    writeFileSync(p, original);
    const store = createStateStore(p);
    await store.write({ 'file_/a.csv': { last_modified: 5 }, _dativo_commit: 'r1' });
    await store.write({ 'file_/a.csv': { last_modified: 6 }, _dativo_commit: 'r2' });
    expect(readFileSync(`${p}.original.bak`, 'utf8')).toBe(original);
  });

  it('a file of ours (with the commit marker) is not backed up', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dativo-orig-state-'));
    const p = path.join(dir, 'csv.x.state.json');
    writeFileSync(p, '{"_dativo_commit": "r1", "k": {"last_value": 1}}');
    await createStateStore(p).write({ _dativo_commit: 'r2' });
    expect(() => readFileSync(`${p}.original.bak`)).toThrow();
  });
});
