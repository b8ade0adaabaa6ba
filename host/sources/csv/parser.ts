/**
 * A streaming, byte-level CSV parser. It is fed UTF-8 chunks of any size (one byte works too) and
 * writes fields straight into Arrow utf8 column buffers, so no JS string is made per field.
 *
 * A row is scanned into (start, end, kind) triples first and copied into the columns only once it is
 * complete: that is what lets a ragged row be dropped whole, and lets a row that straddles two
 * chunks be resumed instead of rescanned (only the unfinished row is carried over).
 *
 * Pure: no Node APIs here, so it can run inside a worker later.
 */
import { DativoError } from '../../errors.js';
import { BatchBuilder, type ParsedBatch } from './batch-builder.js';
import { dedupeNames, unescapeField } from './fields.js';

export type { ParsedBatch } from './batch-builder.js';

export interface CsvParserOptions {
  /** Single-byte delimiter. */
  delimiter: number;
  /** Quote byte, or -1 for no quoting. */
  quote: number;
  /** Escape byte inside quoted fields, or -1 (then only doubled quotes escape a quote). */
  escape: number;
  header: boolean;
  /** Physical lines to drop before the header (or the first row). */
  skipRows: number;
  /** Unquoted or quoted values that mean null (an empty unquoted field is always null). */
  nullValues: Uint8Array[];
  /** A quoted empty field (`""`) is null instead of the empty string. */
  quotedEmptyIsNull?: boolean;
  /** Column names when there is no header row. */
  columnNames?: string[];
  batchSize: number;
  /** For error locations and row errors. */
  file?: string;
  /** A row larger than this is an error (usually a stray quote); bounds memory. */
  maxRowBytes?: number;
  /** Called when a batch's utf8 bytes may be invalid; returns false if not valid UTF-8. */
  validateUtf8?: (bytes: Uint8Array) => boolean;
}

const LF = 10;
const CR = 13;

// Scanner states.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** A quote seen inside a quoted field: either its end or the first half of `""`. */
const QUOTE_IN_QUOTED = 3;
/** The byte after an escape char inside a quoted field. */
const ESCAPED = 4;
/** Dropping `skip_rows` physical lines. */
const SKIP = 5;

// Field kinds.
const PLAIN = 0;
/** `"..."` with nothing to unescape: its value is the bytes between the quotes. */
const QUOTED_SIMPLE = 1;
/** Doubled quotes, escapes or bytes after the closing quote: decoded by unescapeField(). */
const COMPLEX = 2;

const DEFAULT_MAX_ROW_BYTES = 64 * 1024 * 1024;
const MAX_RAW_CHARS = 1 << 20;

const textDecoder = new TextDecoder('utf-8');

export class CsvParser {
  private readonly o: CsvParserOptions;
  private readonly special = new Uint8Array(256);
  private readonly quotedSpecial = new Uint8Array(256);
  private readonly maxRowBytes: number;

  // Scanner state, kept across chunks.
  private state: number;
  private skipLeft: number;
  private line = 1;
  private rowLine = 1;
  private quoteLine = 0;
  private pendingLF = false;
  private rowStart = 0;
  private fieldStart = 0;
  private fieldKind = PLAIN;
  private nf = 0;
  private fs = new Int32Array(64);
  private fe = new Int32Array(64);
  private fk = new Uint8Array(64);

  // Bytes of an unfinished row, carried to the next chunk.
  private carry = new Uint8Array(0);
  private carryLen = 0;

  // Output: created once the column names are known.
  private builder: BatchBuilder | undefined;
  private out: ParsedBatch[] = [];
  private finished = false;

  constructor(options: CsvParserOptions) {
    this.o = options;
    this.maxRowBytes = options.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES;
    this.special[options.delimiter] = 1;
    this.special[LF] = 1;
    this.special[CR] = 1;
    if (options.quote >= 0) this.quotedSpecial[options.quote] = 1;
    if (options.escape >= 0 && options.escape !== options.quote) this.quotedSpecial[options.escape] = 1;
    this.quotedSpecial[LF] = 1;
    this.skipLeft = options.skipRows;
    this.state = options.skipRows > 0 ? SKIP : FIELD_START;
    if (!options.header && options.columnNames && options.columnNames.length > 0) {
      this.setColumns(dedupeNames(options.columnNames));
    }
  }

  /** Column names, once known (after the header row, or from the options). */
  columnNames(): string[] | undefined {
    return this.builder?.names;
  }

  /** Parses one chunk; returns the batches completed by it (often none). */
  push(chunk: Uint8Array): ParsedBatch[] {
    if (this.finished) throw new Error('CsvParser.push after finish');
    if (chunk.length === 0) return [];
    // A Node Buffer is a Uint8Array subclass: viewing it as a plain Uint8Array keeps the hot loops
    // monomorphic (mixing the two costs V8 a polymorphic element access on every byte).
    if (chunk.constructor !== Uint8Array)
      chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    let buf: Uint8Array;
    let n: number;
    if (this.carryLen > 0) {
      n = this.carryLen + chunk.length;
      this.ensureCarry(n);
      this.carry.set(chunk, this.carryLen);
      buf = this.carry;
    } else {
      buf = chunk;
      n = chunk.length;
    }
    this.scan(buf, this.carryLen, n);
    this.keepRest(buf, n);
    return this.drain();
  }

  /** Ends the input: completes the last row and emits the last batch. Throws on an unclosed quote. */
  finish(): ParsedBatch[] {
    if (this.finished) return [];
    this.finished = true;
    const buf = this.carry;
    const n = this.carryLen;
    const st = this.state;
    if (st === QUOTED || st === ESCAPED) {
      throw new DativoError('CSV_PARSE', `unclosed quote opened at line ${this.quoteLine}`, {
        location: { file: this.o.file, row: this.quoteLine },
      });
    }
    if (st === UNQUOTED || st === QUOTE_IN_QUOTED) {
      this.addField(this.fieldStart, n, this.fieldKind);
      this.endRow(buf, this.rowStart, n);
    } else if (st === FIELD_START && this.nf > 0) {
      // "a,b," at end of file without a newline: the last field is empty.
      this.addField(n, n, PLAIN);
      this.endRow(buf, this.rowStart, n);
    }
    this.carryLen = 0;
    if (this.builder?.hasPending()) this.out.push(this.builder.flush());
    return this.drain();
  }

  private drain(): ParsedBatch[] {
    if (this.out.length === 0) return [];
    const out = this.out;
    this.out = [];
    return out;
  }

  private ensureCarry(n: number): void {
    if (n <= this.carry.length) return;
    let cap = Math.max(65536, this.carry.length * 2);
    while (cap < n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.carry.subarray(0, this.carryLen));
    this.carry = next;
  }

  /** Moves the unfinished row to the front of the carry buffer and rebases its offsets. */
  private keepRest(buf: Uint8Array, n: number): void {
    const start = this.rowStart;
    const rest = n - start;
    if (rest > this.maxRowBytes) {
      const hint = this.state === QUOTED ? ` (a quote opened at line ${this.quoteLine} is still open)` : '';
      throw new DativoError(
        'CSV_PARSE',
        `row starting at line ${this.rowLine} is larger than ${this.maxRowBytes} bytes${hint}`,
        { location: { file: this.o.file, row: this.rowLine } },
      );
    }
    if (buf === this.carry) {
      if (start > 0) this.carry.copyWithin(0, start, n);
    } else {
      this.ensureCarry(rest);
      this.carry.set(buf.subarray(start, n), 0);
    }
    this.carryLen = rest;
    if (start > 0) {
      for (let k = 0; k < this.nf; k++) {
        (this.fs[k] as number) -= start;
        (this.fe[k] as number) -= start;
      }
      this.fieldStart -= start;
      this.rowStart = 0;
    }
  }

  private addField(s: number, e: number, kind: number): void {
    const k = this.nf;
    if (k === this.fs.length) this.growFields();
    this.fs[k] = s;
    this.fe[k] = e;
    this.fk[k] = kind;
    this.nf = k + 1;
  }

  private growFields(): void {
    const cap = this.fs.length * 2;
    const fs = new Int32Array(cap);
    fs.set(this.fs);
    const fe = new Int32Array(cap);
    fe.set(this.fe);
    const fk = new Uint8Array(cap);
    fk.set(this.fk);
    this.fs = fs;
    this.fe = fe;
    this.fk = fk;
  }

  /**
   * The state machine over buf[from, n). Hot: state lives in locals and is written back at the end.
   * Row ends call endRow(), which copies the row's fields into the columns.
   */
  private scan(buf: Uint8Array, from: number, n: number): void {
    const delim = this.o.delimiter;
    const quote = this.o.quote;
    const special = this.special;
    const quotedSpecial = this.quotedSpecial;
    let i = from;
    let state = this.state;
    let fieldStart = this.fieldStart;
    let kind = this.fieldKind;
    let line = this.line;

    if (this.pendingLF) {
      // The previous chunk ended on a CR that ended a line: an LF right after it belongs to it.
      this.pendingLF = false;
      if (i < n && buf[i] === LF) {
        i++;
        this.rowStart = i;
      }
    }

    while (i < n) {
      if (state === FIELD_START) {
        fieldStart = i;
        if (buf[i] === quote) {
          state = QUOTED;
          kind = QUOTED_SIMPLE;
          this.quoteLine = line;
          i++;
          continue;
        }
        state = UNQUOTED;
        kind = PLAIN;
      }
      if (state === UNQUOTED) {
        while (i < n && special[buf[i] as number] === 0) i++;
        if (i === n) break;
        const c = buf[i];
        this.addField(fieldStart, i, kind);
        if (c === delim) {
          i++;
          state = FIELD_START;
          continue;
        }
        this.line = line;
        i = this.lineEnd(buf, i, n, c as number);
        line = this.line;
        state = FIELD_START;
        continue;
      }
      if (state === QUOTED) {
        while (i < n && quotedSpecial[buf[i] as number] === 0) i++;
        if (i === n) break;
        const c = buf[i];
        i++;
        if (c === LF) line++;
        else if (c === quote) state = QUOTE_IN_QUOTED;
        else {
          kind = COMPLEX;
          state = ESCAPED;
        }
        continue;
      }
      if (state === QUOTE_IN_QUOTED) {
        const c = buf[i] as number;
        if (c === quote) {
          kind = COMPLEX;
          state = QUOTED;
          i++;
        } else if (c === delim) {
          this.addField(fieldStart, i, kind);
          state = FIELD_START;
          i++;
        } else if (c === LF || c === CR) {
          this.addField(fieldStart, i, kind);
          this.line = line;
          i = this.lineEnd(buf, i, n, c);
          line = this.line;
          state = FIELD_START;
        } else {
          // Bytes after the closing quote: kept literally, the rest of the field is unquoted.
          kind = COMPLEX;
          state = UNQUOTED;
        }
        continue;
      }
      if (state === ESCAPED) {
        if (buf[i] === LF) line++;
        i++;
        state = QUOTED;
        continue;
      }
      // SKIP: drop whole physical lines, quotes notwithstanding.
      const c = buf[i];
      i++;
      if (c === LF || c === CR) {
        line++;
        if (c === CR) {
          if (i < n && buf[i] === LF) i++;
          else if (i === n) this.pendingLF = true;
        }
        this.rowStart = i;
        if (--this.skipLeft <= 0) {
          state = FIELD_START;
          this.rowLine = line;
        }
      }
    }
    if (state === SKIP && i === n && this.rowStart < n) {
      // Nothing of a skipped line needs keeping.
      this.rowStart = n;
    }
    this.state = state;
    this.fieldStart = fieldStart;
    this.fieldKind = kind;
    this.line = line;
  }

  /**
   * Ends the row whose terminator (CR or LF) is at buf[i]; returns the index after the terminator.
   * Updates this.line and this.rowStart.
   */
  private lineEnd(buf: Uint8Array, i: number, n: number, c: number): number {
    this.endRow(buf, this.rowStart, i);
    this.line++;
    let j = i + 1;
    if (c === CR) {
      if (j < n && buf[j] === LF) j++;
      else if (j === n) this.pendingLF = true;
    }
    this.rowStart = j;
    this.rowLine = this.line;
    return j;
  }

  /** A complete row buf[start, end) with this.nf fields: header, blank, ragged, or data. */
  private endRow(buf: Uint8Array, start: number, end: number): void {
    const nf = this.nf;
    this.nf = 0;
    if (nf === 1 && this.fk[0] === PLAIN && this.fe[0] === this.fs[0]) return; // blank line
    if (this.builder === undefined) {
      if (this.o.header) {
        const names: string[] = [];
        for (let k = 0; k < nf; k++) {
          const bytes = unescapeField(
            buf,
            this.fs[k] as number,
            this.fe[k] as number,
            this.fk[k] as number,
            this.o,
          );
          names.push(textDecoder.decode(bytes).trim());
        }
        this.setColumns(dedupeNames(names));
        return;
      }
      this.setColumns(Array.from({ length: nf }, (_, k) => `column_${k + 1}`));
    }
    const builder = this.builder as BatchBuilder;
    if (nf !== builder.cols.length) {
      builder.addError({
        line: this.rowLine,
        ...(this.o.file === undefined ? {} : { file: this.o.file }),
        rule: 'ragged',
        message: `expected ${builder.cols.length} fields, found ${nf}`,
        raw: rawText(buf, start, end),
      });
      return;
    }
    builder.appendRow(buf, this.fs, this.fe, this.fk, nf, this.rowLine);
    if (builder.rows === this.o.batchSize) this.out.push(builder.flush());
  }

  private setColumns(names: string[]): void {
    this.builder = new BatchBuilder(names, this.o);
  }
}

function rawText(buf: Uint8Array, start: number, end: number): string {
  const text = textDecoder.decode(buf.subarray(start, Math.min(end, start + MAX_RAW_CHARS)));
  return end - start > MAX_RAW_CHARS ? `${text}…` : text;
}
