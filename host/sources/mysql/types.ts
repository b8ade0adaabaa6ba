/**
 * MySQL/MariaDB column types (protocol type codes) → Arrow: integers → int64 (BIGINT UNSIGNED →
 * decimal(20,0), which int64 cannot hold), FLOAT/DOUBLE → float64, DECIMAL(p,s) → decimal128(p,s)
 * (p ≤ 38, else exact text), DATE → date32, DATETIME → timestamp(µs) naive, TIMESTAMP →
 * timestamp(µs, UTC), everything else → utf8 (binary strings as base64). TINYINT(1) stays an integer:
 * the contract coerces 0/1 to boolean when it says boolean.
 */
import type { SqlKind } from '../sql/columns.js';

export const T = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  NEWDECIMAL: 246,
} as const;

const UNSIGNED = 32;
const BINARY_CHARSET = 63;

export interface MyField {
  name: string;
  columnType: number;
  flags: number;
  decimals: number;
  columnLength: number;
  characterSet: number;
}

export interface MyColumnPlan {
  name: string;
  kind: SqlKind;
  /** Values arrive as Buffers (binary strings, BIT): base64 them. */
  binary: boolean;
  typeCode: number;
}

export function quoteIdent(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

export function planColumn(f: MyField): MyColumnPlan {
  const unsigned = (f.flags & UNSIGNED) !== 0;
  const plan = (kind: SqlKind, binary = false): MyColumnPlan => ({
    name: f.name,
    kind,
    binary,
    typeCode: f.columnType,
  });
  switch (f.columnType) {
    case T.TINY:
    case T.SHORT:
    case T.LONG:
    case T.INT24:
    case T.YEAR:
      return plan({ kind: 'int64' });
    case T.LONGLONG:
      return unsigned ? plan({ kind: 'decimal', precision: 20, scale: 0 }) : plan({ kind: 'int64' });
    case T.FLOAT:
    case T.DOUBLE:
      return plan({ kind: 'float64' });
    case T.DECIMAL:
    case T.NEWDECIMAL: {
      const scale = f.decimals;
      const precision = f.columnLength - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1);
      return precision >= 1 && precision <= 38 && scale <= precision
        ? plan({ kind: 'decimal', precision, scale })
        : plan({ kind: 'utf8' });
    }
    case T.DATE:
    case T.NEWDATE:
      return plan({ kind: 'date' });
    case T.DATETIME:
      return plan({ kind: 'timestamp' });
    case T.TIMESTAMP:
      return plan({ kind: 'timestamptz' });
    default:
      return plan({ kind: 'utf8' }, f.characterSet === BINARY_CHARSET);
  }
}
