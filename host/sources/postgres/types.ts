/**
 * Postgres column types → what the source reads (binary COPY) and the Arrow type it builds:
 * int2/4/8 → int64, float4/8 → float64, numeric(p,s) → decimal128(p,s) (p ≤ 38; unconstrained or
 * wider numeric → exact decimal text), bool, date → date32, timestamp → timestamp(µs) naive,
 * timestamptz → timestamp(µs, UTC), text-like, json, jsonb, uuid → utf8. Arrays become JSON text
 * (`to_json(col)::text`), every other type its Postgres text form (`col::text`), both decided in
 * the SELECT list so the binary decoder only ever sees the types above.
 */
import type { SqlKind } from '../sql/columns.js';

export const OID = {
  bool: 16,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  json: 114,
  xml: 142,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

export type Wire =
  | 'int2'
  | 'int4'
  | 'int8'
  | 'float4'
  | 'float8'
  | 'bool'
  | 'date'
  | 'timestamp'
  | 'numeric'
  | 'text'
  | 'jsonb'
  | 'uuid';

export interface PgColumnPlan {
  name: string;
  /** The SELECT-list expression over the row source `q`. */
  expr: string;
  /** How the value arrives in binary COPY. */
  wire: Wire;
  kind: SqlKind;
  /** The column's type as Postgres names it (`numeric(12,2)`), for discover(). */
  typeName: string;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** numeric's typmod: ((precision << 16) | scale) + 4, or -1 when unconstrained. */
export function numericPrecision(typmod: number): { precision: number; scale: number } | undefined {
  if (typmod < 4) return undefined;
  const t = typmod - 4;
  return { precision: (t >> 16) & 0xffff, scale: t & 0xffff };
}

export function planColumn(
  name: string,
  oid: number,
  typmod: number,
  typeName: string,
  isArray: boolean,
): PgColumnPlan {
  const col = `q.${quoteIdent(name)}`;
  const as = (expr: string, wire: Wire, kind: SqlKind): PgColumnPlan => ({
    name,
    expr,
    wire,
    kind,
    typeName,
  });
  if (isArray) return as(`to_json(${col})::text`, 'text', { kind: 'utf8' });
  switch (oid) {
    case OID.int2:
      return as(col, 'int2', { kind: 'int64' });
    case OID.int4:
      return as(col, 'int4', { kind: 'int64' });
    case OID.int8:
      return as(col, 'int8', { kind: 'int64' });
    case OID.float4:
      return as(col, 'float4', { kind: 'float64' });
    case OID.float8:
      return as(col, 'float8', { kind: 'float64' });
    case OID.bool:
      return as(col, 'bool', { kind: 'bool' });
    case OID.date:
      return as(col, 'date', { kind: 'date' });
    case OID.timestamp:
      return as(col, 'timestamp', { kind: 'timestamp' });
    case OID.timestamptz:
      return as(col, 'timestamp', { kind: 'timestamptz' });
    case OID.numeric: {
      const ps = numericPrecision(typmod);
      if (ps && ps.precision <= 38 && ps.scale <= ps.precision) {
        return as(col, 'numeric', { kind: 'decimal', precision: ps.precision, scale: ps.scale });
      }
      return as(col, 'numeric', { kind: 'utf8' });
    }
    case OID.text:
    case OID.varchar:
    case OID.bpchar:
    case OID.name:
    case OID.json:
    case OID.xml:
      return as(col, 'text', { kind: 'utf8' });
    case OID.jsonb:
      return as(col, 'jsonb', { kind: 'utf8' });
    case OID.uuid:
      return as(col, 'uuid', { kind: 'utf8' });
    default:
      return as(`${col}::text`, 'text', { kind: 'utf8' });
  }
}
