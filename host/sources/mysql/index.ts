/**
 * The native MySQL/MariaDB source: tables or queries streamed row by row with mysql2 (the socket
 * is paused while two finished batches wait for the pipeline) into typed Arrow columns. The Source
 * around it (cursors, batches, tags) is sql/source.ts.
 */
import mysql from 'mysql2';
import type { ResolvedSource } from '../../config/types.js';
import type { Source } from '../source.js';
import { cursorOrder, cursorPredicate, type Dialect } from '../sql/cursor.js';
import { sqlError } from '../sql/errors.js';
import { createSqlSource, type Prepared, type SqlDriver, type SqlSourceOptions } from '../sql/source.js';
import { describeQuery, describeTable, type MyRelation } from './catalog.js';
import { mysqlConnectionOptions } from './connect.js';
import { type Appender, appenderFor } from './rows.js';
import { quoteIdent } from './types.js';

export const mysqlDialect: Dialect = {
  ident: (name) => `q.${quoteIdent(name)}`,
  literal: (value, kind) => {
    if (value === null) return 'NULL';
    if (kind.kind === 'timestamp' || kind.kind === 'timestamptz') {
      // Positions are ISO text (`T`, `Z` for TIMESTAMP); the session is UTC, so drop both.
      const t = String(value).replace('T', ' ').replace(/Z$/, '');
      return `CAST(${mysql.escape(t)} AS DATETIME(6))`;
    }
    if (kind.kind === 'date') return `CAST(${mysql.escape(String(value))} AS DATE)`;
    return mysql.escape(value);
  },
  sinceDaysAgo: (expr, days) => `${expr} >= NOW(6) - INTERVAL ${Math.trunc(days)} DAY`,
  // MariaDB does not use an index for row-value comparisons; the expanded form it does.
  rowValues: false,
};

export function selectSql(p: Prepared<MyRelation>): string {
  let sql = `SELECT q.* FROM ${p.rel.from} q`;
  if (p.plan) {
    const where = cursorPredicate(p.plan, mysqlDialect);
    if (where) sql += ` WHERE ${where}`;
    sql += ` ORDER BY ${cursorOrder(p.plan, mysqlDialect)}`;
  }
  return sql;
}

const mysqlDriver: SqlDriver<mysql.Connection, MyRelation> = {
  kind: 'mysql',
  dialect: mysqlDialect,

  async connect(source: ResolvedSource) {
    const c = mysql.createConnection(mysqlConnectionOptions(source));
    c.on('error', () => {}); // surfaced through the active query instead
    try {
      await c.promise().connect();
      await c.promise().query("SET time_zone = '+00:00'");
    } catch (err) {
      c.destroy();
      throw sqlError('mysql', err, 'cannot connect');
    }
    return c;
  },

  async end(c) {
    await c
      .promise()
      .end()
      .catch(() => c.destroy());
  },

  describe: (c, spec) =>
    spec.name ? describeTable(c.promise(), spec.name) : describeQuery(c.promise(), spec.query as string),

  async anyRow(c, sql) {
    const [rows] = await c.promise().query(sql);
    return (rows as unknown[]).length > 0;
  },

  stream(c, p, builders, sink) {
    const appenders: Appender[] = p.rel.columns.map((col, i) =>
      appenderFor(col, builders[i] as (typeof builders)[number]),
    );
    const n = appenders.length;
    let failed: Error | undefined;
    const q = c.query({ sql: selectSql(p), rowsAsArray: true });
    q.on('result', (row: unknown) => {
      if (failed) return;
      try {
        const values = row as unknown[];
        for (let i = 0; i < n; i++) (appenders[i] as Appender)(values[i]);
        sink.rowDone();
      } catch (err) {
        failed = err as Error;
      }
    });
    q.on('error', (err: Error) => sink.end(err));
    q.on('end', () => sink.end(failed));
    return { pause: () => c.pause(), resume: () => c.resume(), abort: () => c.destroy() };
  },

  async serverVersion(c) {
    const [v] = await c.promise().query('SELECT VERSION() AS v');
    return (v as { v: string }[])[0]?.v;
  },

  typeName: (col) => col.typeCode,
};

export function createMysqlSource(source: ResolvedSource, opts: SqlSourceOptions = {}): Source {
  return createSqlSource(mysqlDriver, source, opts);
}
