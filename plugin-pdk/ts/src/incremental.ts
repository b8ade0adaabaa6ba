/**
 * The high-water mark of an incremental read (IncrementalMixin), kept in the plugin's state,
 * which the host commits together with the data. `value` is where the last committed run
 * stopped (or `initial`); `observe` every record's cursor field; `save` after a batch.
 */
import { hostState, type StateStore } from './send.js';

export interface IncrementalCursorOptions {
  /** Where a first run starts (e.g. "1970-01-01T00:00:00Z"). */
  initial?: string;
  /** Order of two values (default: numbers as numbers, anything else as strings; ISO-8601 sorts as text). */
  compare?: (a: string, b: string) => number;
  /** Default: the host's state. */
  store?: StateStore;
}

function naturalOrder(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

export class IncrementalCursor {
  /** Where this run starts: the committed value, else `initial`. */
  readonly value: string | undefined;
  private max: string | undefined;
  private readonly compare: (a: string, b: string) => number;
  private readonly store: StateStore;

  constructor(
    readonly key: string,
    opts: IncrementalCursorOptions = {},
  ) {
    this.store = opts.store ?? hostState();
    this.compare = opts.compare ?? naturalOrder;
    this.value = this.store.get(key) ?? opts.initial;
    this.max = this.value;
  }

  /** The largest value seen so far (starting from `value`). */
  get latest(): string | undefined {
    return this.max;
  }

  /** Record one value of the cursor field; null/undefined are ignored. */
  observe(v: string | number | bigint | Date | null | undefined): void {
    if (v === null || v === undefined) return;
    const s = v instanceof Date ? v.toISOString() : String(v);
    if (this.max === undefined || this.compare(s, this.max) > 0) this.max = s;
  }

  /** Write the largest value into state (committed by the host with the batch just returned). */
  save(): void {
    if (this.max !== undefined) this.store.set(this.key, this.max);
  }
}
