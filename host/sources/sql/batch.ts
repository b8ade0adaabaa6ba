/**
 * Rows → Arrow record batches of `batchSize` rows, remembering the (cursor, key) position of the
 * last row flushed, which is what `checkpoint()` reports once the pipeline has taken the batch.
 */
import { Field, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';
import type { ColumnBuilder } from './columns.js';
import type { Position } from './cursor.js';

export class BatchAssembler {
  readonly schema: Schema;
  rows = 0;
  private position: Position | undefined;

  constructor(
    readonly builders: ColumnBuilder[],
    readonly batchSize: number,
    /** Column index of the cursor, or -1. */
    private readonly cursorIndex: number,
    private readonly keyIndexes: number[],
  ) {
    this.schema = new Schema(builders.map((b) => new Field(b.name, b.type, true)));
  }

  /** Call after all columns of a row were appended; true when a batch is full. */
  rowDone(): boolean {
    return ++this.rows >= this.batchSize;
  }

  /** The last position flushed (undefined when no row with a cursor value was seen). */
  lastPosition(): Position | undefined {
    return this.position;
  }

  flush(): RecordBatch | undefined {
    const n = this.rows;
    if (n === 0) return undefined;
    this.notePosition(n);
    const children = this.builders.map((b) => b.finish());
    this.rows = 0;
    const data = makeData({ type: new Struct(this.schema.fields), length: n, nullCount: 0, children });
    return new RecordBatch(this.schema, data);
  }

  private notePosition(n: number): void {
    if (this.cursorIndex < 0) return;
    const cursor = this.builders[this.cursorIndex] as ColumnBuilder;
    for (let i = n - 1; i >= 0; i--) {
      if (cursor.isNull(i)) continue;
      this.position = {
        value: cursor.valueAt(i),
        pk: this.keyIndexes.map((k) => (this.builders[k] as ColumnBuilder).valueAt(i)),
      };
      return;
    }
  }
}
