import { describe, expect, it } from 'vitest';
import { mysqlDialect } from '../../../host/sources/mysql/index.js';
import { pgDialect } from '../../../host/sources/postgres/index.js';
import {
  type CursorPlan,
  cursorOrder,
  cursorPredicate,
  fullReadEntry,
  planCursor,
  readStart,
  stateEntry,
} from '../../../host/sources/sql/cursor.js';

const base: CursorPlan = {
  stateKey: 'orders.updated_at',
  cursor: 'updated_at',
  cursorKind: { kind: 'timestamp' },
  pk: ['id'],
  pkKinds: [{ kind: 'int64' }],
  lookbackDays: 0,
};
const fail = (keyPath: string, message: string) => new Error(`${keyPath}: ${message}`);

describe('cursor predicate', () => {
  it('reads everything on a first run without lookback', () => {
    expect(cursorPredicate(base, pgDialect)).toBeUndefined();
    expect(cursorOrder(base, pgDialect)).toBe('q."updated_at", q."id"');
  });

  it('uses now() - N days on a first run with lookback', () => {
    expect(cursorPredicate({ ...base, lookbackDays: 3 }, pgDialect)).toBe(
      `q."updated_at" >= now() - interval '3 days'`,
    );
    expect(cursorPredicate({ ...base, lookbackDays: 3 }, mysqlDialect)).toBe(
      'q.`updated_at` >= NOW(6) - INTERVAL 3 DAY',
    );
  });

  it('is strictly after (cursor, key) as a row value in Postgres', () => {
    const plan = { ...base, start: { value: '2024-01-01T10:00:00.123456', pk: [42] } };
    expect(cursorPredicate(plan, pgDialect)).toBe(
      `(q."updated_at", q."id") > ('2024-01-01T10:00:00.123456', 42)`,
    );
  });

  it('expands the row comparison for MySQL, with exact DATETIME(6) literals', () => {
    const plan = {
      ...base,
      pk: ['a', 'b'],
      pkKinds: [{ kind: 'utf8' as const }, { kind: 'int64' as const }],
      start: { value: '2024-01-01T10:00:00.123456Z', pk: ["o'k", 7] },
    };
    expect(cursorPredicate(plan, mysqlDialect)).toBe(
      "(q.`updated_at` > CAST('2024-01-01 10:00:00.123456' AS DATETIME(6)) OR (q.`updated_at` = CAST('2024-01-01 10:00:00.123456' AS DATETIME(6)) AND " +
        "(q.`a` > 'o\\'k' OR (q.`a` = 'o\\'k' AND q.`b` > 7))))",
    );
  });

  it('quotes string literals for Postgres and casts zoned cursors', () => {
    const plan = {
      ...base,
      cursorKind: { kind: 'timestamptz' as const },
      start: { value: '2024-01-01T00:00:00.000001Z', pk: ["it's"] },
      pkKinds: [{ kind: 'utf8' as const }],
    };
    expect(cursorPredicate(plan, pgDialect)).toBe(
      `(q."updated_at", q."id") > ('2024-01-01T00:00:00.000001Z'::timestamptz, 'it''s')`,
    );
  });

  it('falls back to >= for state without a key (the original layout) and > without any key', () => {
    expect(cursorPredicate({ ...base, start: { value: '2024-01-01' } }, pgDialect)).toBe(
      `q."updated_at" >= '2024-01-01'`,
    );
    expect(cursorPredicate({ ...base, pk: [], pkKinds: [], start: { value: 5 } }, pgDialect)).toBe(
      `q."updated_at" > 5`,
    );
  });
});

describe('cursor state', () => {
  it('reads scalar and composite keys, and ignores a key of the wrong arity', () => {
    const state = {
      'a.u': { last_value: '2024-01-01T00:00:00.000000', last_pk: 3, updated_at: 'x' },
      'b.u': { last_value: 10, last_pk: ['x', 2] },
      'c.u': { last_value: 'v' },
      'd.u': { last_value: null },
    };
    expect(readStart(state, 'a.u', 1)).toEqual({ value: '2024-01-01T00:00:00.000000', pk: [3] });
    expect(readStart(state, 'b.u', 2)).toEqual({ value: 10, pk: ['x', 2] });
    expect(readStart(state, 'b.u', 1)).toEqual({ value: 10 });
    expect(readStart(state, 'c.u', 1)).toEqual({ value: 'v' });
    expect(readStart(state, 'd.u', 1)).toBeUndefined();
    expect(readStart(state, 'missing', 1)).toBeUndefined();
  });

  it('writes {last_value, last_pk, updated_at}', () => {
    const now = new Date('2024-05-01T00:00:00Z');
    expect(stateEntry({ value: 'v', pk: [1] }, now)).toEqual({
      last_value: 'v',
      last_pk: 1,
      updated_at: '2024-05-01T00:00:00.000Z',
    });
    expect(stateEntry({ value: 'v', pk: [1, 'a'] }, now).last_pk).toEqual([1, 'a']);
    expect(stateEntry({ value: 'v', pk: [] }, now).last_pk).toBeNull();
  });

  it('plans a cursor: case-insensitive columns, the cursor removed from the key, errors name the key path', () => {
    const kinds = new Map([
      ['Updated_At', { kind: 'timestamp' as const }],
      ['id', { kind: 'int64' as const }],
    ]);
    const inp = {
      object: 'o',
      cursorField: 'updated_at',
      kinds,
      key: ['id'],
      state: {},
      lookbackDays: 0,
      keyPath: 'source.tables[0].cursor_field',
      explicit: true,
    };
    expect(planCursor(inp, fail)).toMatchObject({
      stateKey: 'o.updated_at',
      cursor: 'Updated_At',
      pk: ['id'],
    });
    expect(planCursor({ ...inp, key: ['updated_at', 'id'] }, fail)?.pk).toEqual(['id']);
    expect(() => planCursor({ ...inp, cursorField: 'nope' }, fail)).toThrow(
      'source.tables[0].cursor_field: cursor_field nope is not a column of o (columns: Updated_At, id)',
    );
    expect(planCursor({ ...inp, cursorField: 'nope', explicit: false }, fail)).toBeUndefined();
  });

  it('after a full read that met only NULL cursors, reads the rows that have one (not the NULLs again)', () => {
    const inp = {
      object: 'o',
      cursorField: 'updated_at',
      kinds: new Map([
        ['updated_at', { kind: 'timestamp' as const }],
        ['id', { kind: 'int64' as const }],
      ]),
      key: ['id'],
      state: { 'o.updated_at': fullReadEntry(new Date('2024-01-01T00:00:00Z')) },
      lookbackDays: 0,
      keyPath: 'source.tables[0].cursor_field',
      explicit: true,
    };
    const plan = planCursor(inp, fail) as CursorPlan;
    expect(plan.start).toBeUndefined();
    expect(cursorPredicate(plan, pgDialect)).toBe('q."updated_at" IS NOT NULL');
    expect(cursorPredicate(plan, mysqlDialect)).toBe('q.`updated_at` IS NOT NULL');
    // An original entry with a null last_value (no full_read mark) still means "no position".
    const original = planCursor(
      { ...inp, state: { 'o.updated_at': { last_value: null } } },
      fail,
    ) as CursorPlan;
    expect(cursorPredicate(original, pgDialect)).toBeUndefined();
  });
});
