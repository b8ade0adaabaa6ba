/**
 * What a database source reads, from the merged `source` block: `tables[]` {name, object,
 * cursor_field, query, primary_key} or a single `source.query`, plus the batch size from the engine
 * options (`engine.options.native.batch_size`, the original's key).
 */
import type { ResolvedSource } from '../../config/types.js';
import { DativoError } from '../../errors.js';

export interface TableSpec {
  /** Table name as written (may be schema-qualified); absent for a query. */
  name?: string;
  /** A SELECT whose rows are read instead of a table. */
  query?: string;
  /** The object name: state keys and stream names. */
  object: string;
  /** Incremental cursor column; undefined for full reads. */
  cursorField?: string;
  /**
   * True when the table entry names its own cursor_field. A cursor that only comes from the
   * incremental defaults (the recipe's `updated_at`) is skipped, with a warning, on a table that
   * lacks that column, since the config layer applies recipe defaults to every job.
   */
  cursorExplicit?: boolean;
  /** Key columns that break cursor ties; from the catalog when not given. */
  primaryKey?: string[];
  /** Key path in the job, for error locations. */
  keyPath: string;
}

export interface SqlSourceOptions {
  tables: TableSpec[];
  batchSize?: number;
}

function invalid(keyPath: string, message: string): DativoError {
  return new DativoError('CONFIG_INVALID', message, { location: { keyPath } });
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function keyList(v: unknown, keyPath: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw invalid(keyPath, `${keyPath}: expected a column name or a list of column names`);
}

export function parseSqlOptions(source: ResolvedSource): SqlSourceOptions {
  const cfg = source.config;
  const inc = source.incremental;
  // The original uses the job's incremental cursor_field, else the table's, else the recipe default.
  const cursorOf = (t: Record<string, unknown>): string | undefined =>
    inc ? (str(t.cursor_field) ?? str(inc.cursorField ?? undefined)) : undefined;
  const tables: TableSpec[] = [];
  const list = Array.isArray(cfg.tables) ? (cfg.tables as unknown[]) : [];
  list.forEach((raw, i) => {
    const keyPath = `source.tables[${i}]`;
    if (typeof raw !== 'object' || raw === null)
      throw invalid(keyPath, `${keyPath}: expected a map with a name`);
    const t = raw as Record<string, unknown>;
    const name = str(t.name);
    const query = str(t.query);
    if (!name && !query) throw invalid(keyPath, `${keyPath}: needs a name (table) or a query`);
    const spec: TableSpec = { object: str(t.object) ?? name ?? `query_${i}`, keyPath };
    if (name) spec.name = name;
    if (query) spec.query = query;
    const cursor = cursorOf(t);
    if (cursor) spec.cursorField = cursor;
    if (cursor && str(t.cursor_field)) spec.cursorExplicit = true;
    const pk = keyList(t.primary_key ?? t.key_columns, `${keyPath}.primary_key`);
    if (pk) spec.primaryKey = pk;
    tables.push(spec);
  });
  const topQuery = str(cfg.query);
  if (topQuery) {
    const object =
      str(source.objects[0]) ?? str((list[0] as Record<string, unknown> | undefined)?.object) ?? 'query';
    const spec: TableSpec = { query: topQuery, object, keyPath: 'source.query' };
    const cursor = cursorOf(cfg);
    if (cursor) spec.cursorField = cursor;
    const pk = keyList(cfg.primary_key, 'source.primary_key');
    if (pk) spec.primaryKey = pk;
    // A top-level query replaces the table list (the original read one or the other).
    tables.splice(0, tables.length, spec);
  }
  if (tables.length === 0) {
    throw invalid('source', 'a database source needs source.tables[] (name or query) or source.query');
  }
  const out: SqlSourceOptions = { tables };
  const bs = source.options.batch_size ?? source.options.fetch_size;
  if (bs !== undefined) {
    const n = typeof bs === 'string' ? Number(bs) : bs;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      throw invalid(
        'source.engine.options.batch_size',
        `batch_size: expected an integer ≥ 1, got ${JSON.stringify(bs)}`,
      );
    }
    out.batchSize = n;
  }
  return out;
}
