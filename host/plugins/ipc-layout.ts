/**
 * The second half of the boundary check (ipc-frame.ts reads the framing): does the record batch's
 * header tell the truth about its body? Every node (row count, null count) and every buffer
 * (offset, length) is checked against the body size and the declared schema, and the offsets of
 * variable-width columns against the data they index, before apache-arrow (or anything else)
 * allocates from them. A plugin that claims 50,000,000 rows in a 456-byte body, a negative length
 * or a buffer past the body is refused here, naming the column.
 *
 * Hand-written because apache-arrow trusts the header (it sizes typed arrays from it) and has no
 * validating reader; the Arrow IPC layout rules below are from the columnar format specification.
 */

export class IpcLayoutError extends Error {
  constructor(
    message: string,
    /** The column (dotted path for nested fields) the lie is in; absent for batch-level problems. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A field of the schema as the layout check needs it. */
export interface LayoutField {
  name: string;
  /** Arrow `Type` union tag (Schema.fbs). */
  type: number;
  /** Bits per value of a fixed-width type; 1 for Bool. */
  bitWidth: number;
  /** FixedSizeList: values per list. */
  listSize: number;
  children: LayoutField[];
}

export interface BatchHeader {
  rows: number;
  nodes: { length: number; nullCount: number }[];
  buffers: { offset: number; length: number }[];
}

export interface LayoutLimits {
  /** Largest row count a batch may declare. */
  maxRows?: number;
}

// Arrow `Type` union tags (format/Schema.fbs).
export const T = {
  Null: 1,
  Int: 2,
  FloatingPoint: 3,
  Binary: 4,
  Utf8: 5,
  Bool: 6,
  Decimal: 7,
  Date: 8,
  Time: 9,
  Timestamp: 10,
  Interval: 11,
  List: 12,
  Struct: 13,
  Union: 14,
  FixedSizeBinary: 15,
  FixedSizeList: 16,
  Map: 17,
  Duration: 18,
  LargeBinary: 19,
  LargeUtf8: 20,
  LargeList: 21,
} as const;

const FIXED = new Set<number>([
  T.Int,
  T.FloatingPoint,
  T.Decimal,
  T.Date,
  T.Time,
  T.Timestamp,
  T.Interval,
  T.Duration,
  T.FixedSizeBinary,
  T.Bool,
]);
const VAR_BINARY = new Set<number>([T.Binary, T.Utf8, T.LargeBinary, T.LargeUtf8]);
const VAR_LIST = new Set<number>([T.List, T.LargeList, T.Map]);
const LARGE = new Set<number>([T.LargeBinary, T.LargeUtf8, T.LargeList]);
const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(T).map(([k, v]) => [v, k]));

/** Types that may cross the boundary; the rest (unions, views, run-end encoding) are refused. */
export function supportedType(type: number): boolean {
  return (
    type === T.Null ||
    type === T.Struct ||
    type === T.FixedSizeList ||
    FIXED.has(type) ||
    VAR_BINARY.has(type) ||
    VAR_LIST.has(type)
  );
}

export function isFixedWidth(type: number): boolean {
  return FIXED.has(type);
}

export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `type #${type}`;
}

/** Walks nodes and buffers in the order the IPC format lays them out (depth-first, pre-order). */
class LayoutWalk {
  private node = 0;
  private buffer = 0;
  constructor(
    private readonly h: BatchHeader,
    private readonly body: DataView,
  ) {}

  check(fields: LayoutField[]): void {
    for (const f of fields) this.visit(f, f.name, this.h.rows, this.h.rows);
    if (this.node !== this.h.nodes.length)
      throw new IpcLayoutError(
        `the batch has ${this.h.nodes.length} field nodes, the schema needs ${this.node}`,
      );
    if (this.buffer !== this.h.buffers.length)
      throw new IpcLayoutError(
        `the batch has ${this.h.buffers.length} buffers, the schema needs ${this.buffer}`,
      );
  }

  /**
   * Checks one field and its children. A top-level column has exactly the batch's rows; a child at
   * least what its parent indexes and at most that plus the batch's rows (slack for writers that
   * keep a sliced child whole), so no length is taken on trust.
   */
  private visit(f: LayoutField, path: string, min: number, max: number): void {
    const node = this.h.nodes[this.node++];
    if (!node) throw new IpcLayoutError(`no field node for column "${path}"`, path);
    const n = node.length;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new IpcLayoutError(
        min === max
          ? `column "${path}" declares ${n} values, but ${min} are expected`
          : `column "${path}" declares ${n} values, outside the ${min}..${max} its parent allows`,
        path,
      );
    if (!Number.isSafeInteger(node.nullCount) || node.nullCount < 0 || node.nullCount > n)
      throw new IpcLayoutError(`column "${path}" declares ${node.nullCount} nulls in ${n} values`, path);
    if (f.type === T.Null) return;
    const validity = this.take(path);
    if (node.nullCount > 0) this.atLeast(validity, Math.ceil(n / 8), n, path, 'validity bitmap');
    if (FIXED.has(f.type)) {
      this.atLeast(this.take(path), Math.ceil((n * f.bitWidth) / 8), n, path, 'values');
    } else if (VAR_BINARY.has(f.type)) {
      const end = this.offsets(this.take(path), n, LARGE.has(f.type), path);
      this.atLeast(this.take(path), end, n, path, 'data');
    } else if (VAR_LIST.has(f.type)) {
      this.children(f, path, this.offsets(this.take(path), n, LARGE.has(f.type), path));
    } else if (f.type === T.FixedSizeList) {
      this.children(f, path, n * f.listSize);
    } else if (f.type === T.Struct) {
      this.children(f, path, n);
    }
  }

  private children(f: LayoutField, path: string, need: number): void {
    for (const c of f.children) this.visit(c, `${path}.${c.name}`, need, need + this.h.rows);
  }

  private take(path: string): { offset: number; length: number } {
    const b = this.h.buffers[this.buffer++];
    if (!b) throw new IpcLayoutError(`missing buffer for column "${path}"`, path);
    const { offset, length } = b;
    const size = this.body.byteLength;
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > size
    )
      throw new IpcLayoutError(
        `a buffer of column "${path}" (offset ${offset}, length ${length}) lies outside the ${size}-byte body`,
        path,
      );
    return b;
  }

  private atLeast(b: { length: number }, need: number, n: number, path: string, what: string): void {
    if (b.length < need)
      throw new IpcLayoutError(
        `the ${what} buffer of column "${path}" has ${b.length} bytes; ${n} values need ${need}`,
        path,
      );
  }

  /**
   * Offsets: n + 1 of them, non-decreasing, starting at or above 0. Returns the last one (how much
   * data or how many child values they index). One pass over the buffer, O(rows).
   */
  private offsets(b: { offset: number; length: number }, n: number, large: boolean, path: string): number {
    if (n === 0) return 0;
    const w = large ? 8 : 4;
    this.atLeast(b, (n + 1) * w, n, path, 'offsets');
    const at = (i: number): number =>
      large
        ? Number(this.body.getBigInt64(b.offset + i * 8, true))
        : this.body.getInt32(b.offset + i * 4, true);
    let prev = at(0);
    if (prev < 0) throw new IpcLayoutError(`column "${path}" has a negative offset ${prev}`, path);
    for (let i = 1; i <= n; i++) {
      const o = at(i);
      if (o < prev)
        throw new IpcLayoutError(
          `the offsets of column "${path}" decrease at value ${i - 1} (${prev} → ${o})`,
          path,
        );
      prev = o;
    }
    return prev;
  }
}

/** Throws IpcLayoutError unless the batch header is consistent with the schema and the body. */
export function checkBatchLayout(
  fields: LayoutField[],
  h: BatchHeader,
  body: DataView,
  limits: LayoutLimits = {},
): void {
  const maxRows = limits.maxRows ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(h.rows) || h.rows < 0)
    throw new IpcLayoutError(`the batch declares an impossible row count ${h.rows}`);
  // The layout first: a lie about the body names its column; then the host's cap on rows.
  new LayoutWalk(h, body).check(fields);
  if (h.rows > maxRows)
    throw new IpcLayoutError(`the batch declares ${h.rows} rows, above the ${maxRows} allowed per batch`);
}
