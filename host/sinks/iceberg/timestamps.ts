/**
 * Zone drift at the edge: a timestamp column whose zone is detected from the data (contract type
 * `timestamp`, utc auto) may arrive as timestamptz in one run and as timestamp in the next. Both
 * hold microseconds since the epoch, so the batch is relabelled with the table's type (same
 * buffers, the Parquet logical type the table expects) instead of locking the table.
 */
import { Field, makeData, RecordBatch, Schema, Struct, TimestampMicrosecond, Type } from 'apache-arrow';

/** `batch` with each named column's timestamp type set to the table's (`timestamptz` or not). */
export function withTableTimestamps(
  batch: RecordBatch,
  columns: ReadonlyMap<string, { type: string }>,
): RecordBatch {
  let changed = false;
  const fields: Field[] = [];
  const children = batch.schema.fields.map((f, i) => {
    const child = batch.data.children[i] as (typeof batch.data.children)[number];
    const want = columns.get(f.name)?.type;
    const zoned = Boolean((f.type as { timezone?: string | null }).timezone);
    if (
      f.typeId !== Type.Timestamp ||
      (want !== 'timestamp' && want !== 'timestamptz') ||
      zoned === (want === 'timestamptz')
    ) {
      fields.push(f);
      return child;
    }
    changed = true;
    const type = new TimestampMicrosecond(want === 'timestamptz' ? 'UTC' : null);
    fields.push(new Field(f.name, type, f.nullable, f.metadata));
    return makeData({
      type,
      offset: child.offset,
      length: child.length,
      nullCount: child.nullCount,
      nullBitmap: child.nullBitmap,
      data: child.values as BigInt64Array,
    });
  });
  if (!changed) return batch;
  const schema = new Schema(fields, batch.schema.metadata);
  const data = makeData({ type: new Struct(fields), length: batch.numRows, nullCount: 0, children });
  return new RecordBatch(schema, data);
}
