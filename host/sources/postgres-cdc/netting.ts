/**
 * Nets one batch of row changes of one table by key, so the Iceberg commit writes each key once:
 * equality deletes for every key the batch touched (removing the row's earlier version from the
 * table as it was before the batch) and data rows for the keys that exist at the end of the batch.
 * An equality delete applies only to data files of earlier sequence numbers, so the rows added in
 * the same snapshot survive it.
 *
 * Unchanged TOAST values ('u') are filled from the earlier image of the same key in this batch;
 * when there is none the row is listed in `needsFill` and the caller reads the current row by key.
 * A key change deletes the old key. TRUNCATE forgets everything before it and asks for a
 * delete-all (in commit order: changes after the TRUNCATE are kept).
 */
import { type TupleValue, UNCHANGED } from './pgoutput.js';

export type Row = TupleValue[];

export type RowChange =
  | { op: 'insert'; row: Row }
  /** `oldFull`: `old` is the whole old row (REPLICA IDENTITY FULL), not just its key. */
  | { op: 'update'; old?: Row; oldFull?: boolean; row: Row }
  | { op: 'delete'; old: Row }
  | { op: 'truncate' };

export interface NetResult {
  /** Delete every row the table had before this batch. */
  truncate: boolean;
  /** Keys (values of the key columns, in key order) to delete from the table before the batch. */
  deleteKeys: Row[];
  /** The rows that exist at the end of the batch, one per key. */
  rows: Row[];
  /** Indexes into `rows` of rows still holding an unchanged TOAST value. */
  needsFill: number[];
}

export function isUnchanged(v: TupleValue): boolean {
  return v === UNCHANGED || (typeof v === 'object' && v !== null && 'unchanged' in v);
}

/** The key of a row as a map key. Unchanged TOAST values never are key columns (keys are not TOASTed). */
function keyOf(row: Row, keyIdx: number[]): string {
  return JSON.stringify(keyIdx.map((i) => row[i] ?? null));
}

/** The old image's key, when it has one: a 'K' tuple carries only the key columns, others null. */
function oldKey(old: Row | undefined, keyIdx: number[]): string | undefined {
  return old ? keyOf(old, keyIdx) : undefined;
}

export class TableNetter {
  private truncate = false;
  /** Keys touched since the last TRUNCATE, with their key values. */
  private readonly touched = new Map<string, Row>();
  /** Key → final row, or null when the key ends deleted. */
  private readonly state = new Map<string, Row | null>();

  /** `keyIdx`: positions of the key columns in a row (all columns for REPLICA IDENTITY FULL without a key). */
  constructor(private readonly keyIdx: number[]) {
    if (keyIdx.length === 0) throw new Error('netting needs at least one key column');
  }

  add(change: RowChange): void {
    switch (change.op) {
      case 'truncate':
        this.truncate = true;
        this.touched.clear();
        this.state.clear();
        return;
      case 'insert':
        this.put(change.row);
        return;
      case 'delete': {
        const k = keyOf(change.old, this.keyIdx);
        this.touch(k, change.old);
        this.state.set(k, null);
        return;
      }
      case 'update': {
        const newKey = keyOf(change.row, this.keyIdx);
        const before = oldKey(change.old, this.keyIdx);
        const earlier =
          this.state.get(before ?? newKey) ?? (change.oldFull && change.old ? change.old : undefined);
        const row = earlier ? fillFrom(change.row, earlier) : change.row;
        if (before !== undefined && before !== newKey) {
          this.touch(before, change.old as Row);
          this.state.set(before, null);
        }
        this.put(row);
      }
    }
  }

  private touch(k: string, row: Row): void {
    if (!this.touched.has(k))
      this.touched.set(
        k,
        this.keyIdx.map((i) => row[i] ?? null),
      );
  }

  private put(row: Row): void {
    const k = keyOf(row, this.keyIdx);
    this.touch(k, row);
    this.state.set(k, row);
  }

  result(): NetResult {
    const rows: Row[] = [];
    const needsFill: number[] = [];
    for (const row of this.state.values()) {
      if (!row) continue;
      if (row.some(isUnchanged)) needsFill.push(rows.length);
      rows.push(row);
    }
    return { truncate: this.truncate, deleteKeys: [...this.touched.values()], rows, needsFill };
  }
}

/** `row` with its unchanged TOAST values taken from `earlier` (same columns, same order). */
export function fillFrom(row: Row, earlier: Row): Row {
  if (!row.some(isUnchanged)) return row;
  return row.map((v, i) => (isUnchanged(v) ? (earlier[i] ?? null) : v));
}
