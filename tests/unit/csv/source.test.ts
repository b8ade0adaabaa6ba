/** The Source surface: files and globs, missing files, incremental state, check() and discover(). */
import { mkdirSync, mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DativoError } from '../../../host/errors.js';
import { silentLogger } from '../../../host/observability/logger.js';
import { createCsvSource } from '../../../host/sources/csv/index.js';
import type { SourceState } from '../../../host/sources/source.js';
import { dataFile } from './helpers.js';
import { csvSource, readAll } from './source-helpers.js';

const INCREMENTAL = { incremental: { strategy: 'file_modified_time', lookbackDays: 0 } };

function tmpDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'dativo-csv-src-'));
}

function write(dir: string, name: string, text: string, mtime?: Date): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  if (mtime) utimesSync(p, mtime, mtime);
  return p;
}

const open = (state: SourceState = {}, batchSize = 10_000) => ({
  state,
  logger: silentLogger(),
  signal: new AbortController().signal,
  batchSize,
});

describe('files', () => {
  it('a glob expands to sorted matches; batches never mix files', async () => {
    const dir = tmpDir();
    write(dir, 'b.csv', 'id\n3\n4\n');
    write(dir, 'a.csv', 'id\n1\n2\n');
    write(dir, 'c.txt', 'id\n9\n');
    // One file at a time: with the default of two, the order of files' batches is not defined.
    const r = await readAll(csvSource([path.join(dir, '*.csv')], { parallel_files: 1 }));
    expect(r.batches.map((b) => path.basename(b.origin.file ?? ''))).toEqual(['a.csv', 'b.csv']);
    expect(r.rows).toEqual([['1'], ['2'], ['3'], ['4']]);
    expect(r.lines).toEqual([2, 3, 2, 3]);
  });

  it('a missing file is SOURCE_NOT_FOUND naming the path', async () => {
    const missing = path.join(tmpDir(), 'nope.csv');
    const err = await readAll(csvSource([missing])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DativoError);
    expect((err as DativoError).code).toBe('SOURCE_NOT_FOUND');
    expect((err as DativoError).message).toBe(`input file not found: ${missing}`);
    expect((err as DativoError).location?.keyPath).toBe('source.files[0].path');
  });

  it('a glob that matches nothing is SOURCE_NOT_FOUND, but "nothing new" when incremental', async () => {
    const pattern = path.join(tmpDir(), '*.csv');
    await expect(readAll(csvSource([pattern]))).rejects.toThrow(`no input file matches ${pattern}`);
    const r = await readAll(csvSource([pattern], {}, INCREMENTAL));
    expect(r.batches).toEqual([]);
    expect(r.source.nothingNew?.()).toBe(true);
  });

  it('invalid options are CONFIG_INVALID at creation', () => {
    expect(() => createCsvSource(csvSource(['x.csv'], { delimiter: ';;' }))).toThrow(
      'source option delimiter: expected a single ASCII character, got ";;"',
    );
    expect(() => createCsvSource(csvSource(['x.csv'], { batch_size: 0 }))).toThrow(/batch_size/);
  });

  it('stops early when the consumer stops (no leak, no error)', async () => {
    const src = createCsvSource(
      csvSource([dataFile('adventureworks/FactFinance.csv')], {
        encoding: 'utf-16',
        delimiter: '|',
        header: false,
      }),
    );
    await src.open(open({}, 100));
    let n = 0;
    for await (const b of src.read()) {
      n += b.batch.numRows;
      break;
    }
    expect(n).toBe(100);
    await src.close();
  });
});

describe('incremental file_modified_time', () => {
  it('checkpoints each fully read file; unchanged files are skipped; a touched file is re-read alone', async () => {
    const dir = tmpDir();
    const t0 = new Date('2024-03-01T10:00:00.250Z');
    const a = write(dir, 'a.csv', 'id\n1\n', t0);
    const b = write(dir, 'b.csv', 'id\n2\n', t0);
    const resolved = csvSource([a, b], {}, INCREMENTAL);

    const first = await readAll(resolved, {}, { unrelated: { keep: true } });
    // Files are read concurrently (parallel_files), so rows of different files interleave freely.
    expect([...first.rows].sort()).toEqual([['1'], ['2']]);
    expect(first.source.nothingNew?.()).toBe(false);
    const state1 = first.source.checkpoint();
    expect(state1).toEqual({
      unrelated: { keep: true },
      [`file_${a}`]: { last_modified: '2024-03-01T10:00:00.250Z', file_id: a },
      [`file_${b}`]: { last_modified: '2024-03-01T10:00:00.250Z', file_id: b },
    });

    const second = await readAll(resolved, {}, state1);
    expect(second.batches).toEqual([]);
    expect(second.source.nothingNew?.()).toBe(true);
    expect(second.source.checkpoint()).toEqual(state1);

    const t1 = new Date('2024-03-02T08:30:00.000Z');
    utimesSync(b, t1, t1);
    const third = await readAll(resolved, {}, state1);
    expect(third.rows).toEqual([['2']]);
    expect(third.source.nothingNew?.()).toBe(false);
    expect(third.source.checkpoint()).toEqual({
      ...state1,
      [`file_${b}`]: { last_modified: '2024-03-02T08:30:00.000Z', file_id: b },
    });
  });

  it('keys by the file id when the input has one', async () => {
    const dir = tmpDir();
    const a = write(dir, 'a.csv', 'id\n1\n', new Date('2024-01-01T00:00:00Z'));
    const r = await readAll(csvSource([], {}, { ...INCREMENTAL, files: [{ path: a, id: 'orders' }] }));
    expect(r.source.checkpoint()).toEqual({
      file_orders: { last_modified: '2024-01-01T00:00:00.000Z', file_id: 'orders' },
    });
  });

  it("reads the original's naive local-time format (microseconds, no offset)", async () => {
    const dir = tmpDir();
    const mtime = new Date(2024, 0, 15, 10, 30, 45, 123); // local time
    const a = write(dir, 'a.csv', 'id\n1\n', mtime);
    const naive = '2024-01-15T10:30:45.123456';
    const same = await readAll(
      csvSource([a], {}, INCREMENTAL),
      {},
      { [`file_${a}`]: { last_modified: naive, file_id: a } },
    );
    expect(same.source.nothingNew?.()).toBe(true);
    const older = await readAll(
      csvSource([a], {}, INCREMENTAL),
      {},
      {
        [`file_${a}`]: { last_modified: '2024-01-15T10:30:44.999999', file_id: a },
      },
    );
    expect(older.rows).toEqual([['1']]);
  });

  it('lookback_days > 0 re-reads unchanged files', async () => {
    const dir = tmpDir();
    const a = write(dir, 'a.csv', 'id\n1\n', new Date('2024-01-01T00:00:00Z'));
    const state = { [`file_${a}`]: { last_modified: '2030-01-01T00:00:00.000Z', file_id: a } };
    const r = await readAll(
      csvSource([a], {}, { incremental: { strategy: 'file_modified_time', lookbackDays: 2 } }),
      {},
      state,
    );
    expect(r.rows).toEqual([['1']]);
  });

  it('a file enters the checkpoint as its last batch is handed out, not before', async () => {
    const dir = tmpDir();
    const a = write(dir, 'a.csv', 'id\n1\n2\n3\n', new Date('2024-01-01T00:00:00Z'));
    const src = createCsvSource(csvSource([a], {}, INCREMENTAL));
    await src.open(open({}, 2));
    const it = src.read()[Symbol.asyncIterator]();
    const b1 = await it.next();
    expect(b1.value?.batch.numRows).toBe(2);
    expect(src.checkpoint()).toEqual({});
    const b2 = await it.next();
    expect(b2.value?.batch.numRows).toBe(1);
    expect(Object.keys(src.checkpoint())).toEqual([`file_${a}`]);
    expect((await it.next()).done).toBe(true);
  });

  it('without incremental settings nothing is skipped and the state passes through', async () => {
    const dir = tmpDir();
    const a = write(dir, 'a.csv', 'id\n1\n');
    const state = { [`file_${a}`]: { last_modified: '2999-01-01T00:00:00.000Z', file_id: a } };
    const r = await readAll(csvSource([a]), {}, state);
    expect(r.rows).toEqual([['1']]);
    expect(r.source.checkpoint()).toEqual(state);
  });
});

describe('check() and discover()', () => {
  it('check() succeeds for readable files and fails naming a missing one', async () => {
    const ok = await createCsvSource(csvSource([dataFile('adventureworks/Person.csv')])).check();
    expect(ok.status).toBe('success');
    expect(ok.message).toBe('1 file(s) found and readable');
    const missing = path.join(tmpDir(), 'gone.csv');
    const bad = await createCsvSource(csvSource([missing])).check();
    expect(bad).toMatchObject({
      status: 'failed',
      errorCode: 'SOURCE_NOT_FOUND',
      message: `input file not found: ${missing}`,
    });
  });

  it('discover() lists each file with its header columns and types inferred from a sample', async () => {
    const dir = tmpDir();
    mkdirSync(path.join(dir, 'in'));
    write(path.join(dir, 'in'), 'x.csv', 'id,"na,me",\n1,ab,2024-01-31\n');
    const d = await createCsvSource(csvSource([path.join(dir, 'in', '*.csv')])).discover();
    expect(d.objects).toHaveLength(1);
    expect(d.objects[0]).toMatchObject({
      name: 'x',
      type: 'file',
      columns: [
        { name: 'id', type: 'integer' },
        { name: 'na,me', type: 'string' },
        { name: 'column_3', type: 'date' },
      ],
    });
    expect(d.metadata).toMatchObject({ format: 'csv', delimiter: ',', header: true, encoding: 'utf-8' });
  });

  it('discover() of a headerless file reports the given column names', async () => {
    const file = dataFile('AdventureWorks-oltp-install-script/Department.csv');
    const d = await createCsvSource(csvSource([file], { delimiter: '\t', header: false }), {
      columnNames: ['DepartmentID', 'Name', 'GroupName', 'ModifiedDate'],
    }).discover();
    expect(((d.objects[0]?.columns ?? []) as { name: string }[]).map((c) => c.name)).toEqual([
      'DepartmentID',
      'Name',
      'GroupName',
      'ModifiedDate',
    ]);
    expect(statSync(file).size).toBe(d.objects[0]?.size);
  });
});
