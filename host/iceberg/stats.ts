/**
 * Column statistics of a data file (value, null and NaN counts; lower and upper bounds), computed
 * from the Arrow batches as they are written. Bounds of strings and binaries are truncated to 16
 * characters/bytes, Iceberg's default metrics mode `truncate(16)`: a truncated lower bound is a
 * prefix, a truncated upper bound is a prefix with its last character incremented.
 */
import type { RecordBatch } from 'apache-arrow';
import type { DataFile } from './manifest.js';
import { baseType, columnReader, compareValues, type IcebergValue, toBinary } from './values.js';

export const BOUND_TRUNCATE = 16;

interface ColumnAcc {
  id: number;
  type: string;
  values: number;
  nulls: number;
  nans: number;
  min: IcebergValue | undefined;
  max: IcebergValue | undefined;
}

export interface StatsCollector {
  add(batch: RecordBatch): void;
  result(): Pick<
    DataFile,
    'valueCounts' | 'nullValueCounts' | 'nanValueCounts' | 'lowerBounds' | 'upperBounds'
  >;
}

/** `columns`: column name → Iceberg field id and type. Columns of the batch not named are skipped. */
export function createStatsCollector(
  columns: ReadonlyMap<string, { id: number; type: string }>,
): StatsCollector {
  const accs = new Map<string, ColumnAcc>();
  for (const [name, c] of columns) {
    accs.set(name, { id: c.id, type: c.type, values: 0, nulls: 0, nans: 0, min: undefined, max: undefined });
  }
  return {
    add(batch) {
      batch.schema.fields.forEach((f, i) => {
        const acc = accs.get(f.name);
        const data = batch.data.children[i];
        if (!acc || !data) return;
        const read = columnReader(data);
        const isFloat = ['float', 'double'].includes(baseType(acc.type));
        acc.values += data.length;
        for (let r = 0; r < data.length; r++) {
          const v = read(r);
          if (v === null) {
            acc.nulls++;
            continue;
          }
          if (isFloat && Number.isNaN(v as number)) {
            acc.nans++;
            continue;
          }
          if (acc.min === undefined || compareValues(v, acc.min) < 0) acc.min = v;
          if (acc.max === undefined || compareValues(v, acc.max) > 0) acc.max = v;
        }
      });
    },
    result() {
      const valueCounts = new Map<number, number>();
      const nullValueCounts = new Map<number, number>();
      const nanValueCounts = new Map<number, number>();
      const lowerBounds = new Map<number, Uint8Array>();
      const upperBounds = new Map<number, Uint8Array>();
      for (const a of accs.values()) {
        valueCounts.set(a.id, a.values);
        nullValueCounts.set(a.id, a.nulls);
        if (['float', 'double'].includes(baseType(a.type))) nanValueCounts.set(a.id, a.nans);
        if (a.min !== undefined) lowerBounds.set(a.id, toBinary(a.type, truncateLower(a.min)));
        if (a.max !== undefined) {
          const hi = truncateUpper(a.max);
          if (hi !== undefined) upperBounds.set(a.id, toBinary(a.type, hi));
        }
      }
      return { valueCounts, nullValueCounts, nanValueCounts, lowerBounds, upperBounds };
    },
  };
}

function truncateLower(v: IcebergValue): IcebergValue {
  if (typeof v === 'string') {
    const cps = Array.from(v);
    return cps.length <= BOUND_TRUNCATE ? v : cps.slice(0, BOUND_TRUNCATE).join('');
  }
  if (v instanceof Uint8Array) return v.length <= BOUND_TRUNCATE ? v : v.subarray(0, BOUND_TRUNCATE);
  return v;
}

/** A value ≥ every value with `v`'s prefix, or undefined when none fits (all max characters). */
function truncateUpper(v: IcebergValue): IcebergValue | undefined {
  if (typeof v === 'string') {
    const cps = Array.from(v);
    if (cps.length <= BOUND_TRUNCATE) return v;
    const head = cps.slice(0, BOUND_TRUNCATE);
    for (let i = head.length - 1; i >= 0; i--) {
      let cp = (head[i] as string).codePointAt(0) as number;
      cp++;
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xe000; // skip surrogates: not characters
      if (cp <= 0x10ffff) return head.slice(0, i).join('') + String.fromCodePoint(cp);
    }
    return undefined;
  }
  if (v instanceof Uint8Array) {
    if (v.length <= BOUND_TRUNCATE) return v;
    const head = v.slice(0, BOUND_TRUNCATE);
    for (let i = head.length - 1; i >= 0; i--) {
      if ((head[i] as number) < 0xff) {
        head[i] = (head[i] as number) + 1;
        return head.subarray(0, i + 1);
      }
    }
    return undefined;
  }
  return v;
}
