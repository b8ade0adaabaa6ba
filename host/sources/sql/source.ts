/**
 * The database Source around a driver: tables or queries from the job's options, (cursor, key)
 * incremental plans (cursor.ts) whose last position flushed becomes the checkpoint, a pausable
 * push → pull bridge so at most two finished batches wait for the pipeline, source tags from
 * column comments and keys, check() and discover(). A driver (postgres/, mysql/) adds only what
 * differs: how to connect, describe a table or query, and stream its rows into column builders.
 */
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
import { BatchAssembler } from './batch.js';
import { type ColumnBuilder, createBuilder, type SqlKind } from './columns.js';
import {
  type CursorPlan,
  cursorPredicate,
  type Dialect,
  fullReadEntry,
  planCursor,
  stateEntry,
} from './cursor.js';
import { sqlError } from './errors.js';
import { parseSqlOptions, type TableSpec } from './options.js';
import { BatchQueue } from './queue.js';
import { type ColumnMeta, tagsFromColumns } from './tags.js';

export interface SqlColumn {
  name: string;
  kind: SqlKind;
}

export interface SqlRelation<Col extends SqlColumn = SqlColumn> {
  /** The row source as SQL: a quoted table name or a parenthesised query. */
  from: string;
  columns: Col[];
  /** Key columns (primary key, else a unique key on NOT NULL columns); [] if none. */
  key: string[];
  meta: ColumnMeta[];
}

export interface Prepared<R extends SqlRelation> {
  spec: TableSpec;
  rel: R;
  plan?: CursorPlan;
}

/** Where a driver's rows go: after each row's columns were appended, and once at the end. */
export interface RowSink {
  rowDone(): void;
  end(err?: Error): void;
}

/** One table's rows on their way; `abort` breaks the connection (an interrupted run). */
export interface RowStream {
  pause(): void;
  resume(): void;
  abort(): void;
}

export interface SqlDriver<C, R extends SqlRelation> {
  readonly kind: 'postgres' | 'mysql';
  readonly dialect: Dialect;
  /** A connection with the session settings the driver relies on; throws sqlError. */
  connect(source: ResolvedSource): Promise<C>;
  end(c: C): Promise<void>;
  describe(c: C, spec: TableSpec): Promise<R>;
  /** True when `sql` returns at least one row. */
  anyRow(c: C, sql: string): Promise<boolean>;
  /** Streams the table's rows (cursor predicate and (cursor, key) order applied) into `builders`. */
  stream(c: C, p: Prepared<R>, builders: ColumnBuilder[], sink: RowSink): RowStream;
  serverVersion(c: C): Promise<string | undefined>;
  /** A column's type as the database reports it (a name, or MySQL's numeric type code), for discover(). */
  typeName(col: R['columns'][number]): string | number;
}

export interface SqlSourceOptions {
  /** Rows per batch when neither the options nor the open context say. */
  batchSize?: number;
}

const DEFAULT_BATCH_SIZE = 10_000;

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createSqlSource<C, R extends SqlRelation>(
  driver: SqlDriver<C, R>,
  source: ResolvedSource,
  opts: SqlSourceOptions = {},
): Source {
  const { kind } = driver;
  const sql = parseSqlOptions(source);
  const lookback = source.incremental?.lookbackDays ?? 0;
  let ctx: SourceOpenContext | undefined;
  let conn: C | undefined;
  let prepared: Prepared<R>[] = [];
  let previous: SourceState = {};
  const advanced: SourceState = {};
  let tags: Record<string, string> = {};
  let empty = false;

  const batchSize = (): number => sql.batchSize ?? ctx?.batchSize ?? opts.batchSize ?? DEFAULT_BATCH_SIZE;

  async function prepare(c: C, spec: TableSpec, state: SourceState): Promise<Prepared<R>> {
    let rel: R;
    try {
      rel = await driver.describe(c, spec);
    } catch (err) {
      throw sqlError(kind, err, `cannot describe ${spec.name ?? 'the query'}`, { keyPath: spec.keyPath });
    }
    const p: Prepared<R> = { spec, rel };
    if (!spec.cursorField) return p;
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
        new DativoError('CONFIG_INVALID', `${kind}: ${message}`, { location: { keyPath } }),
    );
    if (!plan) {
      ctx?.logger.warn(
        { object: spec.object, cursor: spec.cursorField },
        `${kind}: ${spec.object} has no column ${spec.cursorField} (the default cursor_field); reading it in full`,
      );
      return p;
    }
    p.plan = plan;
    if (plan.pk.length === 0) {
      ctx?.logger.warn(
        { object: spec.object, cursor: spec.cursorField },
        `${kind}: ${spec.object} has no primary or unique key; rows added later with the last cursor value are missed (set primary_key)`,
      );
    }
    return p;
  }

  async function hasRows(c: C, p: Prepared<R>): Promise<boolean> {
    if (!p.plan?.start && !p.plan?.afterNulls) return true;
    const where = cursorPredicate(p.plan, driver.dialect);
    return driver.anyRow(c, `SELECT 1 FROM ${p.rel.from} q${where ? ` WHERE ${where}` : ''} LIMIT 1`);
  }

  async function* readOne(c: C, p: Prepared<R>): AsyncGenerator<SourceBatch> {
    const signal = (ctx as SourceOpenContext).signal;
    const builders = p.rel.columns.map((col) => createBuilder(col.name, col.kind, batchSize()));
    const names = p.rel.columns.map((col) => col.name);
    const assembler = new BatchAssembler(
      builders,
      batchSize(),
      p.plan ? names.indexOf(p.plan.cursor) : -1,
      p.plan ? p.plan.pk.map((k) => names.indexOf(k)) : [],
    );
    let rows: RowStream | undefined;
    const queue = new BatchQueue<SourceBatch>(
      2,
      () => rows?.pause(),
      () => rows?.resume(),
    );
    const origin = { stream: p.spec.object };
    const emit = (): void => {
      const batch = assembler.flush();
      if (batch) queue.push({ batch, origin });
    };
    rows = driver.stream(c, p, builders, {
      rowDone: () => {
        if (assembler.rowDone()) emit();
      },
      end: (err) => {
        if (!err) emit();
        queue.end(
          err ? sqlError(kind, err, `reading ${p.spec.object}`, { keyPath: p.spec.keyPath }) : undefined,
        );
      },
    });
    const abort = (): void => rows?.abort();
    signal.addEventListener('abort', abort, { once: true });
    try {
      for (;;) {
        const item = await queue.next();
        if (!item) break;
        yield item;
      }
    } catch (err) {
      if (signal.aborted) throw new DativoError('INTERRUPTED', `${kind}: read interrupted`);
      throw err;
    } finally {
      signal.removeEventListener('abort', abort);
    }
    if (signal.aborted) throw new DativoError('INTERRUPTED', `${kind}: read interrupted`);
    const pos = assembler.lastPosition();
    if (p.plan && pos) advanced[p.plan.stateKey] = stateEntry(pos);
    // A full read (no start, no lookback window) with only NULL cursors: remember that it happened,
    // or the next run would read those rows again.
    else if (p.plan && !p.plan.start && !p.plan.afterNulls && p.plan.lookbackDays === 0)
      advanced[p.plan.stateKey] = fullReadEntry();
  }

  return {
    kind,

    async open(context) {
      ctx = context;
      previous = { ...context.state };
      conn = await driver.connect(source);
      prepared = [];
      for (const spec of sql.tables) prepared.push(await prepare(conn, spec, previous));
      tags = {};
      for (const p of prepared) Object.assign(tags, tagsFromColumns(p.rel.meta));
      empty = true;
      for (const p of prepared) if (await hasRows(conn, p)) empty = false;
      if (empty)
        context.logger.info(
          { tables: sql.tables.map((t) => t.object) },
          `${kind}: nothing new since the last run`,
        );
    },

    async *read(): AsyncGenerator<SourceBatch> {
      const c = conn;
      if (!ctx || c === undefined) throw new DativoError('INTERNAL', `${kind} source read() before open()`);
      for (const p of prepared) yield* readOne(c, p);
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
      let c: C | undefined;
      try {
        c = await driver.connect(source);
        for (const spec of sql.tables) await prepare(c, spec, {});
        return {
          status: 'success',
          message: `connected; ${sql.tables.length} table(s) or query(ies) readable`,
        };
      } catch (err) {
        const e = sqlError(kind, err, 'check failed');
        return { status: 'failed', message: e.message, errorCode: e.code, retryable: e.retryable };
      } finally {
        if (c !== undefined) await driver.end(c);
      }
    },

    async discover(): Promise<DiscoverResult> {
      const c = await driver.connect(source);
      try {
        const objects = [];
        for (const spec of sql.tables) {
          const p = await prepare(c, spec, {});
          objects.push({
            name: spec.object,
            type: spec.name ? 'table' : 'query',
            ...(spec.name ? { table: p.rel.from } : {}),
            key: p.rel.key,
            columns: p.rel.columns.map((col) => ({
              name: col.name,
              type: driver.typeName(col),
              arrow: col.kind.kind,
            })),
            tags: tagsFromColumns(p.rel.meta),
          });
        }
        return { objects, metadata: { database: kind, server_version: await driver.serverVersion(c) } };
      } finally {
        await driver.end(c);
      }
    },

    async close() {
      const c = conn;
      conn = undefined;
      if (c !== undefined) await driver.end(c);
    },
  };
}
