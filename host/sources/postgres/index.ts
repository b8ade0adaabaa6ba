/**
 * The native PostgreSQL source: tables or queries read with `COPY (SELECT ...) TO STDOUT (FORMAT
 * binary)` and decoded straight into typed Arrow columns (faster than a server-side cursor with
 * FETCH; see bench/postgres-to-parquet.ts). The Source around it (cursors, batches, tags) is
 * sql/source.ts.
 */
import pg from 'pg';
import type { ResolvedSource } from '../../config/types.js';
import type { Source } from '../source.js';
import type { SqlKind } from '../sql/columns.js';
import { cursorOrder, cursorPredicate, type Dialect } from '../sql/cursor.js';
import { sqlError } from '../sql/errors.js';
import { createSqlSource, type Prepared, type SqlDriver, type SqlSourceOptions } from '../sql/source.js';
import { BinaryCopyDecoder } from './binary-decoder.js';
import { describeQuery, describeTable, type PgRelation } from './catalog.js';
import { pgClientConfig } from './connect.js';
import { startCopyOut } from './copy-out.js';
import { quoteIdent } from './types.js';

export const pgDialect: Dialect = {
  ident: (name) => `q.${quoteIdent(name)}`,
  literal: (value, kind: SqlKind) => {
    if (value === null) return 'NULL';
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    // An untyped literal takes the column's type in the comparison; quote doubling is enough with
    // standard_conforming_strings (on by default since 9.1, made sure of at connect).
    const lit = `'${value.replaceAll("'", "''")}'`;
    return kind.kind === 'timestamptz' ? `${lit}::timestamptz` : lit;
  },
  sinceDaysAgo: (expr, days) => `${expr} >= now() - interval '${Math.trunc(days)} days'`,
  rowValues: true,
};

/** The COPY statement of one table: all columns, cursor predicate, (cursor, key) order. */
export function copySql(p: Prepared<PgRelation>): string {
  const select = p.rel.columns.map((c) => `${c.expr} AS ${quoteIdent(c.name)}`).join(', ');
  let sql = `SELECT ${select} FROM ${p.rel.from} q`;
  if (p.plan) {
    const where = cursorPredicate(p.plan, pgDialect);
    if (where) sql += ` WHERE ${where}`;
    sql += ` ORDER BY ${cursorOrder(p.plan, pgDialect)}`;
  }
  return `COPY (${sql}) TO STDOUT (FORMAT binary)`;
}

const postgresDriver: SqlDriver<pg.Client, PgRelation> = {
  kind: 'postgres',
  dialect: pgDialect,

  async connect(source: ResolvedSource) {
    const c = new pg.Client(pgClientConfig(source));
    c.on('error', () => {}); // surfaced through the active query instead
    try {
      await c.connect();
      const scs = await c.query<{ v: string }>('SHOW standard_conforming_strings');
      if (scs.rows[0]?.v !== 'on') await c.query('SET standard_conforming_strings = on');
    } catch (err) {
      await c.end().catch(() => {});
      throw sqlError('postgres', err, 'cannot connect');
    }
    return c;
  },

  async end(c) {
    await c.end().catch(() => {});
  },

  describe: (c, spec) => (spec.name ? describeTable(c, spec.name) : describeQuery(c, spec.query as string)),

  async anyRow(c, sql) {
    return ((await c.query(sql)).rowCount ?? 0) > 0;
  },

  stream(c, p, builders, sink) {
    const decoder = new BinaryCopyDecoder(p.rel.columns, builders, sink.rowDone);
    const copy = startCopyOut(c, copySql(p), {
      onData: (chunk, start, end) => decoder.push(chunk, start, end),
      onEnd: (err) => sink.end(err),
    });
    return {
      pause: () => copy.pause(),
      resume: () => copy.resume(),
      abort: () =>
        (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy(),
    };
  },

  async serverVersion(c) {
    return (await c.query<{ v: string }>('SHOW server_version')).rows[0]?.v;
  },

  typeName: (col) => col.typeName,
};

export function createPostgresSource(source: ResolvedSource, opts: SqlSourceOptions = {}): Source {
  return createSqlSource(postgresDriver, source, opts);
}
