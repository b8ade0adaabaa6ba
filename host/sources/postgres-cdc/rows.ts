/**
 * Rows of Postgres text values (pgoutput 't' values, and the initial copy read as `col::text` so
 * both paths see the same forms) → Arrow record batches typed by the Postgres source's own type
 * mapping (postgres/types.ts planColumn). The session runs with TimeZone=UTC, so a timestamptz
 * arrives as `YYYY-MM-DD HH:MM:SS[.ffffff]+00`.
 */
import { Field, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';
import type { PgColumnPlan } from '../postgres/types.js';
import {
  type BoolBuilder,
  type ColumnBuilder,
  createBuilder,
  type DateBuilder,
  type DecimalBuilder,
  type Float64Builder,
  type Int64Builder,
  type TimestampBuilder,
  type Utf8Builder,
} from '../sql/columns.js';
import { parseDateText, parseDateTimeText } from '../sql/time.js';

type Append = (b: ColumnBuilder, v: string) => void;

const ZONE = /[+-]\d\d(:\d\d(:\d\d)?)?$/;

function float(s: string): number {
  if (s === 'Infinity') return Number.POSITIVE_INFINITY;
  if (s === '-Infinity') return Number.NEGATIVE_INFINITY;
  return Number(s);
}

function appender(col: PgColumnPlan): Append {
  switch (col.kind.kind) {
    case 'int64':
      return (b, v) => (b as Int64Builder).appendText(v);
    case 'float64':
      return (b, v) => (b as Float64Builder).append(float(v));
    case 'bool':
      return (b, v) => (b as BoolBuilder).append(v === 't');
    case 'decimal':
      return (b, v) => {
        if (!(b as DecimalBuilder).appendText(v)) b.appendNull();
      };
    case 'date':
      return (b, v) => {
        const d = parseDateText(v);
        if (d === undefined) b.appendNull();
        else (b as DateBuilder).append(d);
      };
    case 'timestamp':
    case 'timestamptz':
      // 'infinity' and BC dates have no Iceberg value: null, as the batch source gives them.
      return (b, v) => {
        const us = parseDateTimeText(v.replace(ZONE, ''));
        if (us === undefined) b.appendNull();
        else (b as TimestampBuilder).appendMicros(us);
      };
    case 'utf8':
      return (b, v) => (b as Utf8Builder).appendString(v);
  }
}

export class TextRowBatcher {
  readonly schema: Schema;
  private readonly appends: Append[];

  /** `required`: column names that are NOT NULL in the source (the Iceberg fields become required). */
  constructor(
    private readonly columns: PgColumnPlan[],
    required: Set<string>,
  ) {
    this.appends = columns.map(appender);
    this.schema = new Schema(
      columns.map((c) => new Field(c.name, createBuilder(c.name, c.kind, 1).type, !required.has(c.name))),
    );
  }

  /** One batch of `rows` (each a value per column, in column order). */
  batch(rows: readonly (readonly (string | null)[])[]): RecordBatch {
    const builders = this.columns.map((c) => createBuilder(c.name, c.kind, Math.max(1, rows.length)));
    for (const row of rows) {
      for (let i = 0; i < builders.length; i++) {
        const b = builders[i] as ColumnBuilder;
        const v = row[i];
        if (v === null || v === undefined) b.appendNull();
        else (this.appends[i] as Append)(b, v);
      }
    }
    const children = builders.map((b) => b.finish());
    const data = makeData({
      type: new Struct(this.schema.fields),
      length: rows.length,
      nullCount: 0,
      children,
    });
    return new RecordBatch(this.schema, data);
  }
}
