/**
 * The batch framing every runtime must honour (architecture §4): one complete Arrow IPC stream per
 * call (schema message, exactly one record batch, end-of-stream marker), no dictionaries, no
 * buffer compression. Checked on every batch that crosses a plugin boundary, in both directions,
 * by reading the flatbuffer headers directly; the body is read only for the offsets of
 * variable-width columns (ipc-layout.ts), one pass.
 */
import { type RecordBatch, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import {
  type BatchHeader,
  checkBatchLayout,
  IpcLayoutError,
  isFixedWidth,
  type LayoutField,
  type LayoutLimits,
  supportedType,
  T,
  typeName,
} from './ipc-layout.js';

export class IpcFramingError extends Error {
  constructor(
    message: string,
    /** The column the problem is in, when it is in one. */
    readonly field?: string,
  ) {
    super(message);
  }
}

const HEADER_SCHEMA = 1;
const HEADER_DICTIONARY = 2;
const HEADER_RECORD_BATCH = 3;

class Fb {
  constructor(
    readonly v: DataView,
    readonly base: number,
  ) {}
  private check(pos: number, size: number): void {
    if (pos < this.base || pos + size > this.v.byteLength)
      throw new IpcFramingError('flatbuffer offset out of range');
  }
  u8(p: number): number {
    this.check(p, 1);
    return this.v.getUint8(p);
  }
  u16(p: number): number {
    this.check(p, 2);
    return this.v.getUint16(p, true);
  }
  i32(p: number): number {
    this.check(p, 4);
    return this.v.getInt32(p, true);
  }
  u32(p: number): number {
    this.check(p, 4);
    return this.v.getUint32(p, true);
  }
  i64(p: number): number {
    this.check(p, 8);
    return Number(this.v.getBigInt64(p, true));
  }
  /** Absolute position of field `id` of the table at `t`, or 0 when absent. */
  field(t: number, id: number): number {
    const vt = t - this.i32(t);
    const vtSize = this.u16(vt);
    const at = 4 + id * 2;
    if (at + 2 > vtSize) return 0;
    const off = this.u16(vt + at);
    return off === 0 ? 0 : t + off;
  }
  str(p: number): string {
    const n = this.u32(p);
    this.check(p + 4, n);
    return new TextDecoder().decode(
      new Uint8Array(this.v.buffer, this.v.byteOffset + p + 4, Math.min(n, 256)),
    );
  }
  deref(p: number): number {
    return p + this.u32(p);
  }
  /** Element positions of a vector of tables. */
  tables(p: number): number[] {
    const n = this.u32(p);
    if (n > 100_000) throw new IpcFramingError('implausible vector length');
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.deref(p + 4 + i * 4));
    return out;
  }
}

/** A field's type parameters (Schema.fbs tables; absent fields take their flatbuffer defaults). */
function typeParams(fb: Fb, type: number, table: number): { bitWidth: number; listSize: number } {
  const i32 = (id: number, dflt: number): number => {
    const p = table ? fb.field(table, id) : 0;
    return p ? fb.i32(p) : dflt;
  };
  const i16 = (id: number, dflt: number): number => {
    const p = table ? fb.field(table, id) : 0;
    return p ? fb.u16(p) : dflt;
  };
  const bits = ((): number => {
    switch (type) {
      case T.Int:
        return i32(0, 0);
      case T.FloatingPoint:
        return [16, 32, 64][i16(0, 0)] ?? 0;
      case T.Decimal:
        return i32(2, 128);
      case T.Date:
        return i16(0, 1) === 0 ? 32 : 64;
      case T.Time:
        return i32(1, 32);
      case T.Timestamp:
      case T.Duration:
        return 64;
      case T.Interval:
        return [32, 64, 128][i16(0, 0)] ?? 0;
      case T.FixedSizeBinary:
        return i32(0, 0) * 8;
      case T.Bool:
        return 1;
      default:
        return 0;
    }
  })();
  return { bitWidth: bits, listSize: type === T.FixedSizeList ? i32(0, 0) : 1 };
}

function readFields(fb: Fb, fieldsVec: number, depth: number): LayoutField[] {
  if (depth > 64) throw new IpcFramingError('schema nested too deeply');
  return fb.tables(fieldsVec).map((f) => {
    const namePos = fb.field(f, 0);
    const name = namePos ? fb.str(fb.deref(namePos)) : '';
    if (fb.field(f, 4) !== 0) {
      throw new IpcFramingError(
        'dictionary-encoded columns are not allowed across the plugin boundary (decode them to plain columns)',
        name,
      );
    }
    const typeTag = fb.field(f, 2);
    const type = typeTag ? fb.u8(typeTag) : 0;
    if (!supportedType(type))
      throw new IpcFramingError(
        `column "${name}": ${typeName(type)} columns are not supported across the plugin boundary`,
        name,
      );
    const typePos = fb.field(f, 3);
    const { bitWidth, listSize } = typeParams(fb, type, typePos ? fb.deref(typePos) : 0);
    if ((isFixedWidth(type) && bitWidth <= 0) || listSize < 0)
      throw new IpcFramingError(`column "${name}": invalid ${typeName(type)} type parameters`, name);
    const children = fb.field(f, 5);
    return {
      name,
      type,
      bitWidth,
      listSize,
      children: children ? readFields(fb, fb.deref(children), depth + 1) : [],
    };
  });
}

/** A vector of 16-byte structs of two i64s (FieldNode, Buffer). */
function pairs(fb: Fb, vecField: number): [number, number][] {
  if (!vecField) return [];
  const p = fb.deref(vecField);
  const n = fb.u32(p);
  if (n > 100_000) throw new IpcFramingError('implausible vector length');
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) out.push([fb.i64(p + 4 + i * 16), fb.i64(p + 12 + i * 16)]);
  return out;
}

export interface FrameSummary {
  rows: number;
  bodyBytes: number;
}

export interface FrameLimits extends LayoutLimits {
  /** Largest payload (schema, batch and body) accepted. */
  maxBytes?: number;
}

/**
 * Throws IpcFramingError unless `bytes` is exactly: schema, one record batch, EOS, and the batch's
 * header agrees with its body and schema (ipc-layout.ts). Accepts both the continuation-marker
 * and the legacy (pre-0.15) length prefix.
 */
export function validateIpcBatch(bytes: Uint8Array, limits: FrameLimits = {}): FrameSummary {
  if (limits.maxBytes !== undefined && bytes.byteLength > limits.maxBytes)
    throw new IpcFramingError(
      `the batch is ${bytes.byteLength} bytes, above the ${limits.maxBytes} granted (memory_mb)`,
    );
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const kinds: number[] = [];
  let rows = 0;
  let bodyBytes = 0;
  let sawEos = false;
  let fields: LayoutField[] = [];
  try {
    while (pos < bytes.length) {
      if (pos + 4 > bytes.length) throw new IpcFramingError('truncated message prefix');
      let len = v.getInt32(pos, true);
      pos += 4;
      if (len === -1) {
        if (pos + 4 > bytes.length) throw new IpcFramingError('truncated message length');
        len = v.getInt32(pos, true);
        pos += 4;
      }
      if (len === 0) {
        sawEos = true;
        break;
      }
      if (len < 0 || pos + len > bytes.length)
        throw new IpcFramingError('message metadata runs past the end of the payload');
      const fb = new Fb(v, pos);
      const msg = fb.deref(pos);
      const typePos = fb.field(msg, 1);
      const headerType = typePos ? fb.u8(typePos) : 0;
      const headerPos = fb.field(msg, 2);
      const bodyPos = fb.field(msg, 3);
      const bodyLen = bodyPos ? fb.i64(bodyPos) : 0;
      if (!headerPos) throw new IpcFramingError('message without a header');
      const header = fb.deref(headerPos);
      const bodyStart = pos + len;
      if (!Number.isSafeInteger(bodyLen) || bodyLen < 0 || bodyStart + bodyLen > bytes.length)
        throw new IpcFramingError('message body runs past the end of the payload');
      if (headerType === HEADER_SCHEMA) {
        const fieldsPos = fb.field(header, 1);
        fields = fieldsPos ? readFields(fb, fb.deref(fieldsPos), 0) : [];
      } else if (headerType === HEADER_DICTIONARY) {
        throw new IpcFramingError('dictionary batches are not allowed across the plugin boundary');
      } else if (headerType === HEADER_RECORD_BATCH) {
        if (fb.field(header, 3) !== 0) {
          throw new IpcFramingError(
            'compressed record batches are not allowed across the plugin boundary (write buffers uncompressed)',
          );
        }
        if (kinds[0] !== HEADER_SCHEMA)
          throw new IpcFramingError('an IPC batch must start with a schema message');
        const lenPos = fb.field(header, 0);
        rows = lenPos ? fb.i64(lenPos) : 0;
        const batch: BatchHeader = {
          rows,
          nodes: pairs(fb, fb.field(header, 1)).map(([length, nullCount]) => ({ length, nullCount })),
          buffers: pairs(fb, fb.field(header, 2)).map(([offset, length]) => ({ offset, length })),
        };
        try {
          checkBatchLayout(
            fields,
            batch,
            new DataView(bytes.buffer, bytes.byteOffset + bodyStart, bodyLen),
            limits,
          );
        } catch (e) {
          if (e instanceof IpcLayoutError) throw new IpcFramingError(e.message, e.field);
          throw e;
        }
      } else {
        throw new IpcFramingError(`unknown IPC message type ${headerType}`);
      }
      kinds.push(headerType);
      pos = bodyStart + bodyLen;
      bodyBytes += bodyLen;
    }
  } catch (e) {
    if (e instanceof IpcFramingError) throw e;
    throw new IpcFramingError(`malformed Arrow IPC: ${(e as Error).message}`);
  }
  if (kinds[0] !== HEADER_SCHEMA) throw new IpcFramingError('an IPC batch must start with a schema message');
  const batches = kinds.filter((k) => k === HEADER_RECORD_BATCH).length;
  if (batches !== 1 || kinds.length !== 2) {
    throw new IpcFramingError(`an IPC batch must hold exactly one record batch (found ${batches})`);
  }
  if (!sawEos) throw new IpcFramingError('IPC stream without an end-of-stream marker');
  if (pos !== bytes.length) throw new IpcFramingError('bytes after the end-of-stream marker');
  return { rows, bodyBytes };
}

/** Validate, then decode to the one RecordBatch it holds. */
export function decodeIpcBatch(bytes: Uint8Array, limits: FrameLimits = {}): RecordBatch {
  validateIpcBatch(bytes, limits);
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    throw new IpcFramingError(`malformed Arrow IPC: ${(e as Error).message}`);
  }
  const batch = table.batches[0];
  if (!batch) throw new IpcFramingError('IPC stream decoded to no record batch');
  return batch;
}

/** Encode one RecordBatch as the framing above (apache-arrow writes schema, batch, EOS). */
export function encodeIpcBatch(batch: RecordBatch): Uint8Array {
  const bytes = tableToIPC(new Table(batch), 'stream');
  validateIpcBatch(bytes);
  return bytes;
}
