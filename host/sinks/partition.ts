/**
 * Hive partitioning of a batch: rows are grouped by their folder path (`col=val/...`) on the host.
 * Fine for the low-cardinality columns people partition by; a batch that falls in one partition
 * (the common case, e.g. only `ingest_date`) is passed through without copying.
 */
import type { RecordBatch } from 'apache-arrow';
import { formatPartitionValue } from './layout.js';
import { takeRows } from './parquet/arrow.js';

export const INGEST_DATE = 'ingest_date';

export interface PartitionSlice {
  /** `col=val/col2=val2` (empty when unpartitioned): one open file per distinct path. */
  path: string;
  values: [string, string][];
  batch: RecordBatch;
}

/**
 * Split `batch` by the partition columns. `ingest_date` is the run's UTC date unless the batch has
 * a column of that name (a contract column wins).
 */
export function splitByPartition(
  batch: RecordBatch,
  columns: string[],
  ingestDate: string,
): PartitionSlice[] {
  if (columns.length === 0) return [{ path: '', values: [], batch }];

  const getters = columns.map((name) => {
    const vec = batch.getChild(name);
    if (vec) {
      const cache = new Map<unknown, string>();
      return (row: number): string => {
        const raw = vec.get(row);
        // Primitive values repeat a lot in partition columns: format each distinct one once.
        const cacheable = raw === null || typeof raw !== 'object';
        if (cacheable) {
          const hit = cache.get(raw);
          if (hit !== undefined) return hit;
        }
        const v = formatPartitionValue(raw, vec.type);
        if (cacheable) cache.set(raw, v);
        return v;
      };
    }
    if (name === INGEST_DATE) return (): string => ingestDate;
    throw new Error(`partition column ${name} is not a column of the data`);
  });

  const groups = new Map<string, { values: [string, string][]; rows: number[] }>();
  for (let row = 0; row < batch.numRows; row++) {
    const values = columns.map((c, i) => [c, getters[i]!(row)] as [string, string]);
    const path = values.map(([c, v]) => `${c}=${v}`).join('/');
    let g = groups.get(path);
    if (!g) {
      g = { values, rows: [] };
      groups.set(path, g);
    }
    g.rows.push(row);
  }

  if (groups.size <= 1) {
    const only = [...groups.entries()][0];
    const values = only?.[1].values ?? columns.map((c, i) => [c, getters[i]!(0)] as [string, string]);
    return [{ path: only?.[0] ?? values.map(([c, v]) => `${c}=${v}`).join('/'), values, batch }];
  }
  return [...groups.entries()].map(([path, g]) => ({
    path,
    values: g.values,
    batch: takeRows(batch, Uint32Array.from(g.rows)),
  }));
}
