/**
 * The output side of the parser: complete rows go into one utf8 column builder per column, and
 * every `batchSize` rows become an Arrow RecordBatch with the rows' line numbers and the row errors
 * met on the way. Pure (no Node APIs).
 */
import { Field, makeData, RecordBatch, Schema, Struct, Utf8 } from 'apache-arrow';
import type { SourceRowError } from '../source.js';
import { unescapeInto } from './fields.js';
import { Utf8ColumnBuilder } from './utf8-column.js';

export interface ParsedBatch {
  batch: RecordBatch;
  /** 1-based physical start line of each row. */
  lines: Int32Array;
  rowErrors: SourceRowError[];
}

export interface BatchBuilderOptions {
  batchSize: number;
  quote: number;
  escape: number;
  delimiter: number;
  nullValues: Uint8Array[];
  /** A quoted empty field (`""`) is null instead of the empty string. */
  quotedEmptyIsNull?: boolean;
  file?: string;
  validateUtf8?: (bytes: Uint8Array) => boolean;
}

// Field kinds, as the parser records them.
const PLAIN = 0;
const QUOTED_SIMPLE = 1;

export class BatchBuilder {
  readonly names: string[];
  readonly cols: Utf8ColumnBuilder[];
  rows = 0;
  private readonly schema: Schema;
  private readonly o: BatchBuilderOptions;
  private lines: Int32Array;
  private rowErrors: SourceRowError[] = [];
  /**
   * `nullLengths[n]` is 1 when some null value is n bytes long: most fields differ in length from
   * every null literal, so the default `NULL`/`null`/`None` cost one array read per field.
   */
  private readonly nullLengths = new Uint8Array(257);

  constructor(names: string[], o: BatchBuilderOptions) {
    this.names = names;
    this.o = o;
    for (const v of o.nullValues) this.nullLengths[Math.min(v.length, 256)] = 1;
    this.schema = new Schema(names.map((name) => new Field(name, new Utf8(), true)));
    this.cols = names.map(() => new Utf8ColumnBuilder(o.batchSize));
    this.lines = new Int32Array(o.batchSize);
  }

  addError(error: SourceRowError): void {
    this.rowErrors.push(error);
  }

  hasPending(): boolean {
    return this.rows > 0 || this.rowErrors.length > 0;
  }

  /**
   * Appends one row whose field k is the raw bytes buf[fs[k], fe[k]) of kind fk[k] (plain, quoted
   * without escapes, or to be unescaped). Runs once per row of the file: kept tight.
   */
  appendRow(buf: Uint8Array, fs: Int32Array, fe: Int32Array, fk: Uint8Array, nf: number, line: number): void {
    const cols = this.cols;
    const nulls = this.o.nullValues;
    const nullLengths = this.nullLengths;
    const quotedEmptyIsNull = this.o.quotedEmptyIsNull === true;
    for (let k = 0; k < nf; k++) {
      const col = cols[k] as Utf8ColumnBuilder;
      const kind = fk[k] as number;
      let s = fs[k] as number;
      let e = fe[k] as number;
      if (kind === PLAIN) {
        if (s === e) {
          col.appendNull(); // an empty unquoted field is null; "" is the empty string
          continue;
        }
      } else if (kind === QUOTED_SIMPLE) {
        s++;
        e--;
        if (s === e && quotedEmptyIsNull) {
          col.appendNull();
          continue;
        }
      } else {
        this.appendComplex(col, buf, s, e);
        continue;
      }
      // Utf8ColumnBuilder.appendBytes(), inlined: this is the loop over every field of the file.
      const len = e - s;
      if (nullLengths[Math.min(len, 256)] === 1 && len > 0 && matchesAny(nulls, buf, s, e)) {
        col.appendNull();
        continue;
      }
      let p = col.used;
      if (p + len > col.data.length) col.reserve(len);
      const data = col.data;
      // A hand loop: subarray()+set() allocates a view, which costs about as much as copying ~64 bytes.
      if (len < 64) {
        for (let j = s; j < e; j++) data[p++] = buf[j] as number;
      } else {
        data.set(buf.subarray(s, e), p);
        p += len;
      }
      col.used = p;
      const row = col.length + 1;
      col.length = row;
      col.offsets[row] = p;
    }
    this.lines[this.rows++] = line;
  }

  /** Unescapes straight into the column's buffer (no temporary array per field). */
  private appendComplex(col: Utf8ColumnBuilder, buf: Uint8Array, s: number, e: number): void {
    col.reserve(e - s);
    const start = col.used;
    const end = unescapeInto(buf, s, e, this.o, col.data, start);
    const nulls = this.o.nullValues;
    if (nulls.length > 0 && end > start && matchesAny(nulls, col.data, start, end)) col.appendNull();
    else col.commitWritten(end);
  }

  /** The rows so far as a batch (with the row errors since the last one); starts a new batch. */
  flush(): ParsedBatch {
    this.dropInvalidUtf8();
    const rows = this.rows;
    const children = this.cols.map((c) => c.flush());
    const data = makeData({ type: new Struct(this.schema.fields), length: rows, nullCount: 0, children });
    const out: ParsedBatch = {
      batch: new RecordBatch(this.schema, data),
      lines: this.lines.slice(0, rows),
      rowErrors: this.rowErrors,
    };
    this.rows = 0;
    this.rowErrors = [];
    return out;
  }

  /**
   * Rows whose bytes are not valid UTF-8 cannot go into a utf8 column: they are dropped and
   * reported (rule `encoding`). Checked per column buffer, so the clean case costs one native pass.
   */
  private dropInvalidUtf8(): void {
    const validate = this.o.validateUtf8;
    if (!validate) return;
    let drop: Uint8Array | undefined;
    const decoder = new TextDecoder('utf-8');
    const delim = String.fromCharCode(this.o.delimiter);
    const valueAt = (c: Utf8ColumnBuilder, r: number) =>
      c.data.subarray(c.offsets[r] as number, c.offsets[r + 1] as number);
    this.cols.forEach((col, k) => {
      if (validate(col.data.subarray(0, col.used))) return;
      drop ??= new Uint8Array(this.rows);
      for (let r = 0; r < this.rows; r++) {
        if (drop[r] || !col.isValid(r) || validate(valueAt(col, r))) continue;
        drop[r] = 1;
        this.rowErrors.push({
          line: this.lines[r] as number,
          ...(this.o.file === undefined ? {} : { file: this.o.file }),
          rule: 'encoding',
          message: `invalid UTF-8 in column ${this.names[k]}`,
          raw: this.cols.map((c) => (c.isValid(r) ? decoder.decode(valueAt(c, r)) : '')).join(delim),
        });
      }
    });
    if (!drop) return;
    for (const col of this.cols) col.removeRows(drop);
    let w = 0;
    for (let r = 0; r < this.rows; r++) if (!drop[r]) this.lines[w++] = this.lines[r] as number;
    this.rows = w;
    this.rowErrors.sort((a, b) => a.line - b.line);
  }
}

function matchesAny(values: Uint8Array[], buf: Uint8Array, s: number, e: number): boolean {
  const len = e - s;
  outer: for (const v of values) {
    if (v.length !== len) continue;
    for (let j = 0; j < len; j++) if (v[j] !== buf[s + j]) continue outer;
    return true;
  }
  return false;
}
