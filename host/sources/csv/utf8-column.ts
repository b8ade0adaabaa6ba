/**
 * A growable Arrow utf8 column: value bytes, int32 offsets and a validity bitmap, filled field by
 * field by the parser without ever creating a JS string. Pure (no Node APIs) so the parser can
 * later run inside a worker.
 */
import { type Data, makeData, Utf8 } from 'apache-arrow';

export class Utf8ColumnBuilder {
  data: Uint8Array;
  offsets: Int32Array;
  validity: Uint8Array;
  /** Bytes used in `data`. */
  used = 0;
  length = 0;
  nullCount = 0;

  constructor(rowCapacity: number, byteCapacity = rowCapacity * 16) {
    this.data = new Uint8Array(Math.max(64, byteCapacity));
    this.offsets = new Int32Array(rowCapacity + 1);
    // All valid until a null clears its bit: a value costs no bitmap write at all.
    this.validity = new Uint8Array((rowCapacity + 8) >> 3).fill(0xff);
  }

  private growRows(): void {
    const offsets = new Int32Array(this.offsets.length * 2);
    offsets.set(this.offsets);
    this.offsets = offsets;
    const validity = new Uint8Array((offsets.length + 8) >> 3).fill(0xff);
    validity.set(this.validity);
    this.validity = validity;
  }

  /** Makes room for `extra` more value bytes. */
  reserve(extra: number): void {
    const need = this.used + extra;
    if (need <= this.data.length) return;
    let cap = this.data.length * 2;
    while (cap < need) cap *= 2;
    const data = new Uint8Array(cap);
    data.set(this.data.subarray(0, this.used));
    this.data = data;
  }

  appendNull(): void {
    if (this.length + 1 >= this.offsets.length) this.growRows();
    const row = this.length;
    (this.validity[row >> 3] as number) &= ~(1 << (row & 7));
    this.length = row + 1;
    this.offsets[row + 1] = this.used;
    this.nullCount++;
  }

  /** Appends src[start, end) as a valid value. */
  appendBytes(src: Uint8Array, start: number, end: number): void {
    if (this.length + 1 >= this.offsets.length) this.growRows();
    const len = end - start;
    if (this.used + len > this.data.length) this.reserve(len);
    const data = this.data;
    let p = this.used;
    // A hand loop beats subarray()+set() (which allocates a view) for the values of real files.
    if (len < 64) {
      for (let i = start; i < end; i++) data[p++] = src[i] as number;
    } else {
      data.set(src.subarray(start, end), p);
      p += len;
    }
    this.used = p;
    const row = this.length;
    this.length = row + 1;
    this.offsets[row + 1] = p;
  }

  /**
   * Ends a value whose bytes were written directly at `data[used, newUsed)` (the quoted-field slow
   * path unescapes straight into the buffer after calling reserve()).
   */
  commitWritten(newUsed: number): void {
    if (this.length + 1 >= this.offsets.length) this.growRows();
    this.used = newUsed;
    const row = this.length;
    this.length = row + 1;
    this.offsets[row + 1] = newUsed;
  }

  /** True when row `r` holds a value (not null). */
  isValid(r: number): boolean {
    return ((this.validity[r >> 3] as number) & (1 << (r & 7))) !== 0;
  }

  /** Drops the rows flagged in `drop` (1 = drop), keeping the others in order. */
  removeRows(drop: Uint8Array): void {
    const { data, offsets } = this;
    let w = 0; // rows kept so far
    let p = 0; // bytes kept so far
    let nulls = 0;
    for (let r = 0; r < this.length; r++) {
      if (drop[r]) continue;
      const s = offsets[r] as number;
      const e = offsets[r + 1] as number;
      data.copyWithin(p, s, e);
      p += e - s;
      const valid = this.isValid(r);
      if (valid) (this.validity[w >> 3] as number) |= 1 << (w & 7);
      else {
        (this.validity[w >> 3] as number) &= ~(1 << (w & 7));
        nulls++;
      }
      w++;
      offsets[w] = p;
    }
    this.validity.fill(0xff, (w + 8) >> 3);
    for (let r = w; r < ((w + 8) & ~7); r++) (this.validity[r >> 3] as number) |= 1 << (r & 7);
    this.length = w;
    this.used = p;
    this.nullCount = nulls;
  }

  /**
   * The batch as Arrow Data, then a reset for the next batch. The value bytes are handed over (a
   * view, not a copy: copying every byte once more cost ~7% of a parse) and a new buffer is
   * started, sized for a batch like this one.
   */
  flush(): Data<Utf8> {
    const length = this.length;
    const values = this.data.subarray(0, this.used);
    this.data = new Uint8Array(Math.max(64, this.used + (this.used >> 3)));
    const data = makeData({
      type: new Utf8(),
      length,
      nullCount: this.nullCount,
      valueOffsets: this.offsets.slice(0, length + 1),
      data: values,
      // No bitmap at all when every value is present: cheaper for every consumer downstream.
      nullBitmap: this.nullCount > 0 ? this.bitmap(length) : undefined,
    });
    this.reset();
    return data;
  }

  /** The bitmap for `length` rows, with the unused high bits of the last byte cleared. */
  private bitmap(length: number): Uint8Array {
    const out = this.validity.slice(0, (length + 7) >> 3);
    if (length & 7) (out[out.length - 1] as number) &= (1 << (length & 7)) - 1;
    return out;
  }

  reset(): void {
    if (this.nullCount > 0) this.validity.fill(0xff, 0, (this.length + 8) >> 3);
    this.used = 0;
    this.length = 0;
    this.nullCount = 0;
  }
}
