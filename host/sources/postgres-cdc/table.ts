/**
 * What CDC needs to know of the captured table, from the Postgres source's own catalog reader:
 * its columns (type mapping of postgres/types.ts), the key changes are netted by, and which
 * columns are NOT NULL. Tables whose changes cannot be keyed are refused here.
 */
import type pg from 'pg';
import { DativoError } from '../../errors.js';
import { describeTable, type PgRelation } from '../postgres/catalog.js';

export interface CdcTableInfo {
  rel: PgRelation;
  oid: number;
  /** The columns changes are netted and equality-deleted by. */
  key: string[];
  /** The primary key (Iceberg identifier fields), or undefined for REPLICA IDENTITY FULL without one. */
  primaryKey: string[] | undefined;
  notNull: Set<string>;
}

export async function describeCdcTable(c: pg.Client, table: string): Promise<CdcTableInfo> {
  const rel = await describeTable(c, table);
  const r = await c.query<{
    oid: number;
    ident: string;
    notnull: string[] | null;
    ident_is_pk: boolean | null;
  }>(
    `SELECT c.oid::int AS oid, c.relreplident AS ident,
            (SELECT array_agg(a.attname::text) FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull) AS notnull,
            (SELECT i.indisprimary FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS ident_is_pk
       FROM pg_class c WHERE c.oid = $1::regclass`,
    [rel.from],
  );
  const row = r.rows[0];
  if (!row) throw new DativoError('SOURCE_NOT_FOUND', `postgres: table ${table} not found`);
  const pk = rel.meta.filter((m) => m.primaryKey).map((m) => m.name);
  const notNull = new Set(row.notnull ?? []);
  const base = { rel, oid: row.oid, notNull };
  const fix = `ALTER TABLE ${rel.from} REPLICA IDENTITY DEFAULT (with a primary key) or REPLICA IDENTITY FULL`;
  switch (row.ident) {
    case 'd':
      if (pk.length > 0) return { ...base, key: pk, primaryKey: pk };
      throw new DativoError(
        'CONFIG_INVALID',
        `postgres_cdc: table ${rel.from} has no primary key, so its deletes and updates cannot be keyed; add a primary key or run ALTER TABLE ${rel.from} REPLICA IDENTITY FULL`,
      );
    case 'f':
      if (pk.length > 0) return { ...base, key: pk, primaryKey: pk };
      return { ...base, key: rel.columns.map((x) => x.name), primaryKey: undefined };
    case 'i':
      if (row.ident_is_pk) return { ...base, key: pk, primaryKey: pk };
      throw new DativoError(
        'CONFIG_INVALID',
        `postgres_cdc: table ${rel.from} uses REPLICA IDENTITY USING INDEX on an index that is not its primary key (its key columns may be null); use ${fix}`,
      );
    default:
      throw new DativoError(
        'CONFIG_INVALID',
        `postgres_cdc: table ${rel.from} has REPLICA IDENTITY NOTHING, so deletes carry no key; use ${fix}`,
      );
  }
}
