/**
 * mysql2 row values (with the options of connect.ts) → column builders: numbers or digit strings
 * for integers, decimal text, `YYYY-MM-DD[ HH:MM:SS[.ffffff]]` text for dates and times (zero
 * dates become NULL), strings or Buffers for the rest.
 */
import type {
  BoolBuilder,
  ColumnBuilder,
  DateBuilder,
  DecimalBuilder,
  Float64Builder,
  Int64Builder,
  TimestampBuilder,
  Utf8Builder,
} from '../sql/columns.js';
import { parseDateText, parseDateTimeText } from '../sql/time.js';
import type { MyColumnPlan } from './types.js';

export type Appender = (v: unknown) => void;

function text(v: unknown): string {
  if (Buffer.isBuffer(v)) return v.toString('base64');
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function appenderFor(plan: MyColumnPlan, b: ColumnBuilder): Appender {
  switch (plan.kind.kind) {
    case 'int64': {
      const ib = b as Int64Builder;
      return (v) => {
        if (v === null || v === undefined) ib.appendNull();
        else if (typeof v === 'number') ib.appendNumber(v);
        else ib.appendText(String(v));
      };
    }
    case 'float64': {
      const fb = b as Float64Builder;
      return (v) => (v === null || v === undefined ? fb.appendNull() : fb.append(Number(v)));
    }
    case 'bool': {
      const bb = b as BoolBuilder;
      return (v) => (v === null || v === undefined ? bb.appendNull() : bb.append(Boolean(Number(v))));
    }
    case 'decimal': {
      const db = b as DecimalBuilder;
      return (v) => {
        if (v === null || v === undefined || !db.appendText(String(v))) db.appendNull();
      };
    }
    case 'date': {
      const db = b as DateBuilder;
      return (v) => {
        const d = v === null || v === undefined ? undefined : parseDateText(String(v));
        if (d === undefined) db.appendNull();
        else db.append(d);
      };
    }
    case 'timestamp':
    case 'timestamptz': {
      const tb = b as TimestampBuilder;
      return (v) => {
        const us = v === null || v === undefined ? undefined : parseDateTimeText(String(v));
        if (us === undefined) tb.appendNull();
        else tb.appendMicros(us);
      };
    }
    case 'utf8': {
      const ub = b as Utf8Builder;
      return (v) => (v === null || v === undefined ? ub.appendNull() : ub.appendString(text(v)));
    }
  }
}
