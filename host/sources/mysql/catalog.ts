/**
 * What MySQL/MariaDB says about a table or query: the columns from a `LIMIT 0` of the very row
 * source we will read, and for tables the primary key (else the first unique key on NOT NULL
 * columns) and column comments (source tags), from information_schema.
 */
import type { Connection } from 'mysql2/promise';
import { DativoError } from '../../errors.js';
import type { ColumnMeta } from '../sql/tags.js';
import { type MyColumnPlan, type MyField, planColumn, quoteIdent } from './types.js';

export interface MyRelation {
  from: string;
  columns: MyColumnPlan[];
  key: string[];
  meta: ColumnMeta[];
}

/** `db.table`, `table`, with or without backticks. */
export function splitTableName(name: string): { schema?: string; table: string } {
  const parts =
    name
      .match(/`(?:[^`]|``)+`|[^.]+/g)
      ?.map((p) => (p.startsWith('`') ? p.slice(1, -1).replaceAll('``', '`') : p.trim())) ?? [];
  if (parts.length === 2) return { schema: parts[0] as string, table: parts[1] as string };
  if (parts.length === 1) return { table: parts[0] as string };
  throw new DativoError(
    'CONFIG_INVALID',
    `mysql: cannot read table name ${name} (expected table or database.table)`,
  );
}

async function describeColumns(c: Connection, from: string): Promise<MyColumnPlan[]> {
  const [, fields] = await c.query({ sql: `SELECT * FROM ${from} q LIMIT 0`, rowsAsArray: true });
  const seen = new Set<string>();
  return (fields as unknown as MyField[]).map((f) => {
    if (seen.has(f.name)) {
      throw new DativoError(
        'CONFIG_INVALID',
        `mysql: the row source has two columns named ${f.name}; alias one`,
      );
    }
    seen.add(f.name);
    return planColumn(f);
  });
}

export async function describeTable(c: Connection, name: string): Promise<MyRelation> {
  const { schema, table } = splitTableName(name);
  const from = schema ? `${quoteIdent(schema)}.${quoteIdent(table)}` : quoteIdent(table);
  const columns = await describeColumns(c, from);
  const [cols] = await c.query(
    `SELECT COLUMN_NAME AS name, COLUMN_COMMENT AS comment FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [schema ?? null, table],
  );
  const [stats] = await c.query(
    `SELECT INDEX_NAME AS idx, COLUMN_NAME AS col, NON_UNIQUE AS nonUnique, NULLABLE AS nullable
       FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?
      ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`,
    [schema ?? null, table],
  );
  const indexes = new Map<string, { cols: string[]; unique: boolean; nullable: boolean }>();
  for (const s of stats as { idx: string; col: string; nonUnique: number | string; nullable: string }[]) {
    const e = indexes.get(s.idx) ?? { cols: [], unique: Number(s.nonUnique) === 0, nullable: false };
    e.cols.push(s.col);
    if (s.nullable === 'YES') e.nullable = true;
    indexes.set(s.idx, e);
  }
  const primary = indexes.get('PRIMARY')?.cols ?? [];
  const uniques = [...indexes.entries()]
    .filter(([n, e]) => n !== 'PRIMARY' && e.unique && !e.nullable)
    .map(([, e]) => e.cols);
  uniques.sort((a, b) => a.length - b.length);
  const uniqueCols = new Set(uniques.flat());
  const comments = new Map((cols as { name: string; comment: string }[]).map((r) => [r.name, r.comment]));
  return {
    from,
    columns,
    key: primary.length > 0 ? primary : (uniques[0] ?? []),
    meta: columns.map((col) => ({
      name: col.name,
      comment: comments.get(col.name) || null,
      primaryKey: primary.includes(col.name),
      unique: uniqueCols.has(col.name),
    })),
  };
}

export async function describeQuery(c: Connection, query: string): Promise<MyRelation> {
  const from = `(${query.replace(/;\s*$/, '')})`;
  const columns = await describeColumns(c, from);
  return { from, columns, key: [], meta: columns.map((col) => ({ name: col.name })) };
}
