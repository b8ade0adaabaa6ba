/**
 * Airbyte RECORD data (JSON objects) → one Arrow batch per `batchSize` rows, typed by the
 * stream's contract: a column whose values all fit the contract's storage type is built typed
 * (int64, float64, bool) and reused by the validator as is; any other column, or one with a value
 * that does not fit (a string in an integer field), is handed over as text, so the validator's one
 * parser per type decides and reports the bad cell with its row. Nested values become JSON text.
 * Keys the contract does not name are passed as text columns (the validator keeps or drops them
 * by mode). Columns that are text whatever their values are encoded as records arrive (TextColumn).
 */
import { type Data, Field, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';
import type { Contract, FieldType } from '../../contract/model.js';
import { buildColumn, isTextType, TextColumn } from '../protocol/json-columns.js';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** Values of a typed column (decided when the batch is cut), or a text column filled as they come. */
type Column = unknown[] | TextColumn;

function newColumn(type: FieldType | undefined): Column {
  return isTextType(type) ? new TextColumn(type) : [];
}

export class RecordBuffer {
  private readonly names: string[];
  private readonly types: (FieldType | undefined)[];
  private readonly index = new Map<string, number>();
  private readonly lowerIndex = new Map<string, number>();
  private columns: Column[];
  rows = 0;
  bytes = 0;

  constructor(contract: Contract) {
    this.names = contract.fields.map((f) => f.name);
    this.types = contract.fields.map((f) => f.type);
    this.names.forEach((n, i) => {
      this.index.set(n, i);
      if (!this.lowerIndex.has(n.toLowerCase())) this.lowerIndex.set(n.toLowerCase(), i);
    });
    this.columns = this.types.map(newColumn);
  }

  /**
   * The previous record's keys and their columns: connectors write every record with the same keys
   * in the same order, so a key is usually matched by one string comparison instead of a lookup.
   */
  private lastKeys: string[] = [];
  private lastColumns: number[] = [];

  /** Appends one record's `data`; `size` is its line length (progress). */
  add(data: Record<string, Json>, size: number): void {
    const row = this.rows;
    let k = 0;
    for (const key in data) {
      let i: number;
      if (this.lastKeys[k] === key) i = this.lastColumns[k] as number;
      else {
        i = this.columnOf(key);
        this.lastKeys[k] = key;
        this.lastColumns[k] = i;
      }
      k++;
      const col = this.columns[i] as Column;
      while (col.length < row) col.push(null);
      col.push(data[key]);
    }
    this.rows++;
    this.bytes += size;
  }

  private columnOf(key: string): number {
    let i = this.index.get(key) ?? this.lowerIndex.get(key.toLowerCase());
    if (i === undefined) {
      // An extra key: a new text column, null in the rows before.
      i = this.names.length;
      this.names.push(key);
      this.types.push(undefined);
      this.index.set(key, i);
      this.columns.push(new TextColumn(undefined));
    }
    return i;
  }

  flush(): RecordBatch | undefined {
    const n = this.rows;
    if (n === 0) return undefined;
    const fields: Field[] = [];
    const children: Data[] = [];
    this.names.forEach((name, i) => {
      const col = this.columns[i] as Column;
      while (col.length < n) col.push(null);
      const data = col instanceof TextColumn ? col.finish() : buildColumn(col, this.types[i]);
      fields.push(new Field(name, data.type, true));
      children.push(data);
    });
    // Extra keys are per batch: the next batch starts with the contract's columns only.
    const contractCols = this.types.indexOf(undefined);
    if (contractCols >= 0) {
      for (const name of this.names.slice(contractCols)) this.index.delete(name);
      this.names.length = contractCols;
      this.types.length = contractCols;
    }
    this.columns = this.types.map(newColumn);
    // Extra columns are gone: keys that pointed at them must be looked up again.
    this.lastKeys = [];
    this.lastColumns = [];
    this.rows = 0;
    this.bytes = 0;
    const schema = new Schema(fields);
    return new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children }));
  }
}
