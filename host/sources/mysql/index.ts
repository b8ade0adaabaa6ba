/**
 * The native MySQL/MariaDB source: tables or queries streamed row by row with mysql2 (the socket
 * is paused while two finished batches wait for the pipeline), typed Arrow columns, (cursor, key)
 * incremental positions (sql/cursor.ts) and source tags from column comments and keys.
 */
import mysql from 'mysql2';
import type { Connection as PromiseConnection } from 'mysql2/promise';
import type { ResolvedSource } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import type {
  CheckResult,
  DiscoverResult,
  Source,
  SourceBatch,
  SourceOpenContext,
  SourceState,
} from '../source.js';
import { BatchAssembler } from '../sql/batch.js';
import { type ColumnBuilder, createBuilder } from '../sql/columns.js';
import {
  type CursorPlan,
  cursorOrder,
  cursorPredicate,
  type Dialect,
  planCursor,
  stateEntry,
} from '../sql/cursor.js';
import { sqlError } from '../sql/errors.js';
import { parseSqlOptions, type TableSpec } from '../sql/options.js';
import { BatchQueue } from '../sql/queue.js';
import { tagsFromColumns } from '../sql/tags.js';
import { describeQuery, describeTable, type MyRelation } from './catalog.js';
import { mysqlConnectionOptions } from './connect.js';
import { type Appender, appenderFor } from './rows.js';
import { quoteIdent } from './types.js';

export interface MysqlSourceOptions {
  batchSize?: number;
}

const DEFAULT_BATCH_SIZE = 10_000;

interface Prepared {
  spec: TableSpec;
  rel: MyRelation;
  plan?: CursorPlan;
}

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

export function selectSql(p: Prepared): string {
  let sql = `SELECT q.* FROM ${p.rel.from} q`;
  if (p.plan) {
    const where = cursorPredicate(p.plan, mysqlDialect);
    if (where) sql += ` WHERE ${where}`;
    sql += ` ORDER BY ${cursorOrder(p.plan, mysqlDialect)}`;
  }
  return sql;
}

export function createMysqlSource(source: ResolvedSource, opts: MysqlSourceOptions = {}): Source {
  const sql = parseSqlOptions(source);
  const lookback = source.incremental?.lookbackDays ?? 0;
  let ctx: SourceOpenContext | undefined;
  let conn: mysql.Connection | undefined;
  let prepared: Prepared[] = [];
  let previous: SourceState = {};
  const advanced: SourceState = {};
  let tags: Record<string, string> = {};
  let empty = false;

  const batchSize = (): number => sql.batchSize ?? ctx?.batchSize ?? opts.batchSize ?? DEFAULT_BATCH_SIZE;

  async function connect(): Promise<mysql.Connection> {
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
  }

  async function prepare(c: PromiseConnection, spec: TableSpec, state: SourceState): Promise<Prepared> {
    let rel: MyRelation;
    try {
      rel = spec.name ? await describeTable(c, spec.name) : await describeQuery(c, spec.query as string);
    } catch (err) {
      throw sqlError('mysql', err, `cannot describe ${spec.name ?? 'the query'}`, { keyPath: spec.keyPath });
    }
    const p: Prepared = { spec, rel };
    if (spec.cursorField) {
      const plan = planCursor(
        {
          object: spec.object,
          cursorField: spec.cursorField,
          kinds: new Map(rel.columns.map((col) => [col.name, col.kind])),
          key: spec.primaryKey ?? rel.key,
          state,
          lookbackDays: lookback,
          keyPath: `${spec.keyPath}.cursor_field`,
          explicit: spec.cursorExplicit === true,
        },
        (keyPath, message) =>
          new DativoError('CONFIG_INVALID', `mysql: ${message}`, { location: { keyPath } }),
      );
      if (!plan) {
        ctx?.logger.warn(
          { object: spec.object, cursor: spec.cursorField },
          `mysql: ${spec.object} has no column ${spec.cursorField} (the default cursor_field); reading it in full`,
        );
      } else p.plan = plan;
      if (plan && plan.pk.length === 0) {
        ctx?.logger.warn(
          { object: spec.object, cursor: spec.cursorField },
          `mysql: ${spec.object} has no primary or unique key; rows added later with the last cursor value are missed (set primary_key)`,
        );
      }
    }
    return p;
  }

  async function hasRows(c: PromiseConnection, p: Prepared): Promise<boolean> {
    if (!p.plan?.start) return true;
    const where = cursorPredicate(p.plan, mysqlDialect);
    const [rows] = await c.query(`SELECT 1 FROM ${p.rel.from} q${where ? ` WHERE ${where}` : ''} LIMIT 1`);
    return (rows as unknown[]).length > 0;
  }

  async function* readOne(c: mysql.Connection, p: Prepared): AsyncGenerator<SourceBatch> {
    const signal = (ctx as SourceOpenContext).signal;
    const builders: ColumnBuilder[] = p.rel.columns.map((col) =>
      createBuilder(col.name, col.kind, batchSize()),
    );
    const appenders: Appender[] = p.rel.columns.map((col, i) =>
      appenderFor(col, builders[i] as ColumnBuilder),
    );
    const names = p.rel.columns.map((col) => col.name);
    const assembler = new BatchAssembler(
      builders,
      batchSize(),
      p.plan ? names.indexOf(p.plan.cursor) : -1,
      p.plan ? p.plan.pk.map((k) => names.indexOf(k)) : [],
    );
    const queue = new BatchQueue<SourceBatch>(
      2,
      () => c.pause(),
      () => c.resume(),
    );
    const origin = { stream: p.spec.object };
    const n = appenders.length;
    let failed: Error | undefined;
    const q = c.query({ sql: selectSql(p), rowsAsArray: true });
    q.on('result', (row: unknown) => {
      if (failed) return;
      try {
        const values = row as unknown[];
        for (let i = 0; i < n; i++) (appenders[i] as Appender)(values[i]);
        if (assembler.rowDone()) {
          const batch = assembler.flush();
          if (batch) queue.push({ batch, origin });
        }
      } catch (err) {
        failed = err as Error;
      }
    });
    q.on('error', (err: Error) => {
      queue.end(sqlError('mysql', err, `reading ${p.spec.object}`, { keyPath: p.spec.keyPath }));
    });
    q.on('end', () => {
      if (!failed) {
        const batch = assembler.flush();
        if (batch) queue.push({ batch, origin });
      }
      queue.end(failed);
    });
    const abort = (): void => c.destroy();
    signal.addEventListener('abort', abort, { once: true });
    try {
      for (;;) {
        const item = await queue.next();
        if (!item) break;
        yield item;
      }
    } catch (err) {
      if (signal.aborted) throw new DativoError('INTERRUPTED', 'mysql: read interrupted');
      throw err;
    } finally {
      signal.removeEventListener('abort', abort);
    }
    if (signal.aborted) throw new DativoError('INTERRUPTED', 'mysql: read interrupted');
    const pos = assembler.lastPosition();
    if (p.plan && pos) advanced[p.plan.stateKey] = stateEntry(pos);
  }

  return {
    kind: 'mysql',

    async open(context) {
      ctx = context;
      previous = { ...context.state };
      conn = await connect();
      const pc = conn.promise();
      prepared = [];
      for (const spec of sql.tables) prepared.push(await prepare(pc, spec, previous));
      tags = {};
      for (const p of prepared) Object.assign(tags, tagsFromColumns(p.rel.meta));
      empty = true;
      for (const p of prepared) if (await hasRows(pc, p)) empty = false;
      if (empty)
        context.logger.info(
          { tables: sql.tables.map((t) => t.object) },
          'mysql: nothing new since the last run',
        );
    },

    async *read(): AsyncGenerator<SourceBatch> {
      if (!ctx || !conn) throw new DativoError('INTERNAL', 'mysql source read() before open()');
      for (const p of prepared) yield* readOne(conn, p);
    },

    checkpoint() {
      return { ...previous, ...advanced };
    },

    sourceTags() {
      return { ...tags };
    },

    nothingNew() {
      return empty;
    },

    async check(): Promise<CheckResult> {
      let c: mysql.Connection | undefined;
      try {
        c = await connect();
        for (const spec of sql.tables) await prepare(c.promise(), spec, {});
        return {
          status: 'success',
          message: `connected; ${sql.tables.length} table(s) or query(ies) readable`,
        };
      } catch (err) {
        const e = sqlError('mysql', err, 'check failed');
        return { status: 'failed', message: e.message, errorCode: e.code, retryable: e.retryable };
      } finally {
        c?.destroy();
      }
    },

    async discover(): Promise<DiscoverResult> {
      const c = await connect();
      try {
        const objects = [];
        for (const spec of sql.tables) {
          const p = await prepare(c.promise(), spec, {});
          objects.push({
            name: spec.object,
            type: spec.name ? 'table' : 'query',
            ...(spec.name ? { table: p.rel.from } : {}),
            key: p.rel.key,
            columns: p.rel.columns.map((col) => ({
              name: col.name,
              type: col.typeCode,
              arrow: col.kind.kind,
            })),
            tags: tagsFromColumns(p.rel.meta),
          });
        }
        const [v] = await c.promise().query('SELECT VERSION() AS v');
        return { objects, metadata: { database: 'mysql', server_version: (v as { v: string }[])[0]?.v } };
      } finally {
        c.destroy();
      }
    },

    async close() {
      const c = conn;
      conn = undefined;
      if (c)
        await c
          .promise()
          .end()
          .catch(() => c.destroy());
    },
  };
}
