/**
 * A typed batch as the list of dicts an original `BaseWriter.write_batch(records, ...)` expects.
 * JSON crosses into the sandbox, so every value becomes what the original's readers produced:
 * integers as numbers (as strings beyond 2^53, which JSON numbers cannot carry exactly), dates as
 * `yyyy-mm-dd`, timestamps as ISO strings, decimals as plain decimal strings.
 */
import { type DataType, type RecordBatch, Type } from 'apache-arrow';
import { formatDecimal } from '../../sinks/layout.js';

export type JsonRecord = Record<string, unknown>;

function jsonValue(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case Type.Int: {
      const n = typeof value === 'bigint' ? value : BigInt(value as number);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(n)
        : n.toString();
    }
    case Type.Date:
      return new Date(Number(value)).toISOString().slice(0, 10);
    case Type.Timestamp: {
      const iso = new Date(Math.floor(Number(value))).toISOString();
      const tz = (type as unknown as { timezone?: string | null }).timezone;
      return tz ? iso : iso.replace(/Z$/, '');
    }
    case Type.Decimal:
      return formatDecimal(String(value), (type as unknown as { scale: number }).scale);
    case Type.Binary:
    case Type.LargeBinary:
      return Buffer.from(value as Uint8Array).toString('base64');
    case Type.Float:
    case Type.Bool:
    case Type.Utf8:
    case Type.LargeUtf8:
      return value;
    default:
      return String(value);
  }
}

export function batchToRecords(batch: RecordBatch): JsonRecord[] {
  const fields = batch.schema.fields;
  const columns = fields.map((_, i) => batch.getChildAt(i));
  const rows: JsonRecord[] = [];
  for (let r = 0; r < batch.numRows; r++) {
    const row: JsonRecord = {};
    fields.forEach((f, i) => {
      row[f.name] = jsonValue(columns[i]?.get(r), f.type);
    });
    rows.push(row);
  }
  return rows;
}
