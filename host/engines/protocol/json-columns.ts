/**
 * JSON values (Airbyte and Singer RECORD payloads) → Arrow columns shaped by the contract, built
 * straight into Arrow buffers: apache-arrow's generic builders (vectorFromArray) cost more than
 * JSON.parse per value and dominated the engines' profile.
 *
 * A column is typed when JSON itself carries the type: integers → int64, numbers → float64,
 * booleans → bool, and the validator reuses it as is. Decimal, date and timestamp have no JSON type
 * (connectors send strings or numbers), so those columns go out as text and the contract layer
 * parses them with the parser CSV uses; so does any column whose values in this batch do not all
 * have the contract's JSON type (the validator then names the bad cell instead of this code
 * guessing). `json` columns hold each value as JSON text; other nested values become JSON text too.
 *
 * Text columns can be filled as records arrive (`TextColumn`): a few thousand values at a time are
 * encoded to UTF-8 outside the JS heap, so the strings die young. Kept as JS strings until the batch
 * was cut, they survived several collections each, and copying them was a tenth of the Airbyte
 * path's CPU.
 */
import { type Data, type DataType, Field, makeData, RecordBatch, Schema, Struct, Utf8 } from 'apache-arrow';
import type { ContractField, FieldType } from '../../contract/model.js';
import { BoolBuilder, Float64Builder, Int64Builder } from '../../sources/sql/columns.js';

export function buildColumn(values: unknown[], type: FieldType | undefined): Data {
  const kind = type?.kind;
  // Typed only when every value has the JSON type; the shared column builders lay out the buffers.
  if (
    kind === 'int64' &&
    values.every((v) => v === null || (typeof v === 'number' && Number.isSafeInteger(v)))
  ) {
    const b = new Int64Builder('', values.length);
    for (const v of values) v === null ? b.appendNull() : b.appendNumber(v as number);
    return b.finish();
  }
  if (kind === 'float64' && values.every((v) => v === null || typeof v === 'number')) {
    const b = new Float64Builder('', values.length);
    for (const v of values) v === null ? b.appendNull() : b.append(v as number);
    return b.finish();
  }
  if (kind === 'bool' && values.every((v) => v === null || typeof v === 'boolean')) {
    const b = new BoolBuilder('', values.length);
    for (const v of values) v === null ? b.appendNull() : b.append(v as boolean);
    return b.finish();
  }
  const text = new TextColumn(type);
  for (const v of values) text.push(v);
  return text.finish();
}

/** Whether a column of this contract type is always built as text (see TextColumn). */
export function isTextType(type: FieldType | undefined): boolean {
  const kind = type?.kind;
  return kind !== 'int64' && kind !== 'float64' && kind !== 'bool';
}

/** Values encoded per segment: large enough to amortise the encode, small enough to die young. */
const SEGMENT = 2048;

/**
 * A UTF-8 column filled value by value. Each segment is joined and encoded once; its offsets come
 * from the values' lengths when the segment is all ASCII (as many bytes as UTF-16 units, which any
 * other character exceeds), from each value's byte length otherwise.
 */
export class TextColumn {
  length = 0;
  private readonly json: boolean;
  private pending: (string | null)[] = [];
  private readonly parts: Buffer[] = [];
  private bytes = 0;
  private offsets = new Int32Array(SEGMENT + 1);
  private valid = new Uint8Array(SEGMENT >> 3);
  private nulls = 0;

  constructor(type: FieldType | undefined) {
    this.json = type?.kind === 'json';
  }

  push(v: unknown): void {
    this.pending.push(this.json ? (v === null || v === undefined ? null : JSON.stringify(v)) : asText(v));
    this.length++;
    if (this.pending.length === SEGMENT) this.encode();
  }

  private encode(): void {
    const texts = this.pending;
    const n = texts.length;
    if (n === 0) return;
    const first = this.length - n;
    if (this.offsets.length < this.length + 1) {
      const grown = new Int32Array(Math.max(this.length + 1, this.offsets.length * 2));
      grown.set(this.offsets);
      this.offsets = grown;
      const valid = new Uint8Array((grown.length - 1 + 7) >> 3);
      valid.set(this.valid);
      this.valid = valid;
    }
    const offsets = this.offsets;
    const valid = this.valid;
    let units = this.bytes;
    for (let i = 0; i < n; i++) {
      const t = texts[i];
      const row = first + i;
      if (t === null || t === undefined) this.nulls++;
      else {
        units += t.length;
        valid[row >> 3] = (valid[row >> 3] as number) | (1 << (row & 7));
      }
      offsets[row + 1] = units;
    }
    const buf = Buffer.from(texts.join(''), 'utf8');
    if (buf.length !== units - this.bytes) {
      let pos = this.bytes;
      for (let i = 0; i < n; i++) {
        const t = texts[i];
        if (t !== null && t !== undefined) pos += Buffer.byteLength(t, 'utf8');
        offsets[first + i + 1] = pos;
      }
    }
    this.parts.push(buf);
    this.bytes += buf.length;
    this.pending = [];
  }

  finish(): Data {
    this.encode();
    const n = this.length;
    const bytes = Buffer.concat(this.parts, this.bytes);
    return makeData({
      type: new Utf8(),
      length: n,
      nullCount: this.nulls,
      nullBitmap: this.nulls > 0 ? this.valid.slice(0, (n + 7) >> 3) : undefined,
      valueOffsets: this.offsets.slice(0, n + 1),
      data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    }) as Data;
  }
}

function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

type Rec = Record<string, unknown>;

/**
 * Records → one batch: the contract's columns first, then keys the contract does not name as text
 * columns in order of first appearance (warn mode passes them through).
 */
export function recordsToBatch(records: readonly Rec[], fields: readonly ContractField[]): RecordBatch {
  const names = new Set(fields.map((f) => f.name));
  const extras: string[] = [];
  for (const r of records)
    for (const k of Object.keys(r))
      if (!names.has(k)) {
        names.add(k);
        extras.push(k);
      }
  const pluck = (key: string): unknown[] => records.map((r) => r[key] ?? null);
  const columns: [string, Data][] = fields.map((f) => [f.name, buildColumn(pluck(f.name), f.type)]);
  for (const k of extras) columns.push([k, buildColumn(pluck(k), undefined)]);
  const schema = new Schema(columns.map(([name, d]) => new Field(name, d.type as DataType, true)));
  const data = makeData({
    type: new Struct(schema.fields),
    length: records.length,
    nullCount: 0,
    children: columns.map(([, d]) => d),
  });
  return new RecordBatch(schema, data);
}
