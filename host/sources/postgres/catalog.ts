/**
 * What Postgres says about a table or query: its columns (name, type oid, typmod, from a
 * `LIMIT 0` of the very row source we will read, so a query and a table are described the same
 * way), and for tables the primary key, unique keys and column comments (source tags).
 */
import type { Client } from 'pg';
import { DativoError } from '../../errors.js';
import type { ColumnMeta } from '../sql/tags.js';
import { type PgColumnPlan, planColumn } from './types.js';

export interface PgRelation {
  /** The row source as SQL: a quoted table name or a parenthesised query. */
  from: string;
  columns: PgColumnPlan[];
  /** Key columns (primary key, else the first unique key on NOT NULL columns); [] if none. */
  key: string[];
  meta: ColumnMeta[];
}

/** The table's canonical, quoted and schema-qualified name as Postgres prints it. */
async function resolveTable(client: Client, name: string): Promise<{ oid: number; sql: string }> {
  try {
    const r = await client.query<{ oid: number; sql: string }>(
      'SELECT $1::regclass::oid::int AS oid, $1::regclass::text AS sql',
      [name],
    );
    const row = r.rows[0];
    if (!row) throw new Error('no row');
    return row;
  } catch (err) {
    throw new DativoError(
      'SOURCE_NOT_FOUND',
      `postgres: table ${name} not found: ${(err as Error).message}`,
      {
        retryable: false,
      },
    );
  }
}

async function tableKeys(client: Client, oid: number): Promise<{ primary: string[]; unique: string[][] }> {
  const r = await client.query<{ primary: boolean; cols: string[] }>(
    `SELECT i.indisprimary AS primary,
            array_agg(a.attname::text ORDER BY k.ord) AS cols
       FROM pg_index i
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1 AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
        AND (i.indisprimary OR NOT EXISTS (
              SELECT 1 FROM pg_attribute n
               WHERE n.attrelid = i.indrelid AND n.attnum = ANY(i.indkey) AND NOT n.attnotnull))
      GROUP BY i.indexrelid, i.indisprimary
      ORDER BY i.indisprimary DESC, count(*), i.indexrelid`,
    [oid],
  );
  const primary = r.rows.find((x) => x.primary)?.cols ?? [];
  return { primary, unique: r.rows.filter((x) => !x.primary).map((x) => x.cols) };
}

async function comments(client: Client, oid: number): Promise<Map<string, string>> {
  const r = await client.query<{ name: string; comment: string | null }>(
    `SELECT attname::text AS name, col_description(attrelid, attnum) AS comment
       FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped`,
    [oid],
  );
  return new Map(r.rows.filter((x) => x.comment).map((x) => [x.name, x.comment as string]));
}

async function describeColumns(client: Client, from: string): Promise<PgColumnPlan[]> {
  const r = await client.query({ text: `SELECT * FROM ${from} q LIMIT 0`, rowMode: 'array' });
  const oids = [...new Set(r.fields.map((f) => f.dataTypeID))];
  const types = await client.query<{ oid: number; array: boolean }>(
    `SELECT oid::int AS oid, (typcategory = 'A') AS array FROM pg_type WHERE oid = ANY($1::oid[])`,
    [oids],
  );
  const isArray = new Map(types.rows.map((t) => [t.oid, t.array]));
  const names = await client.query<{ name: string }>({
    text: `SELECT format_type(t.oid, t.mod) AS name FROM unnest($1::oid[], $2::int[]) AS t(oid, mod)`,
    values: [r.fields.map((f) => f.dataTypeID), r.fields.map((f) => f.dataTypeModifier)],
  });
  const seen = new Set<string>();
  return r.fields.map((f, i) => {
    if (seen.has(f.name)) {
      throw new DativoError(
        'CONFIG_INVALID',
        `postgres: the row source has two columns named ${f.name}; alias one`,
      );
    }
    seen.add(f.name);
    return planColumn(
      f.name,
      f.dataTypeID,
      f.dataTypeModifier,
      names.rows[i]?.name ?? 'unknown',
      isArray.get(f.dataTypeID) ?? false,
    );
  });
}

export async function describeTable(client: Client, name: string): Promise<PgRelation> {
  const t = await resolveTable(client, name);
  const columns = await describeColumns(client, t.sql);
  const keys = await tableKeys(client, t.oid);
  const key = keys.primary.length > 0 ? keys.primary : (keys.unique[0] ?? []);
  const uniqueCols = new Set(keys.unique.flat());
  const notes = await comments(client, t.oid);
  const meta: ColumnMeta[] = columns.map((c) => ({
    name: c.name,
    comment: notes.get(c.name) ?? null,
    primaryKey: keys.primary.includes(c.name),
    unique: uniqueCols.has(c.name),
  }));
  return { from: t.sql, columns, key, meta };
}

export async function describeQuery(client: Client, query: string): Promise<PgRelation> {
  const from = `(${query.replace(/;\s*$/, '')})`;
  const columns = await describeColumns(client, from);
  return { from, columns, key: [], meta: columns.map((c) => ({ name: c.name })) };
}
