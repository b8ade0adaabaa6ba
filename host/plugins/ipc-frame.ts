/**
 * The batch framing every runtime must honour (architecture §4): one complete Arrow IPC stream per
 * call (schema message, exactly one record batch, end-of-stream marker), no dictionaries, no
 * buffer compression. Checked on every batch that crosses a plugin boundary, in both directions,
 * by reading the flatbuffer headers directly (cheap: the body is never touched).
 */
import { type RecordBatch, Table, tableFromIPC, tableToIPC } from 'apache-arrow';

export class IpcFramingError extends Error {}

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

function checkFields(fb: Fb, fieldsVec: number, depth: number): void {
  if (depth > 64) throw new IpcFramingError('schema nested too deeply');
  for (const f of fb.tables(fieldsVec)) {
    if (fb.field(f, 4) !== 0) {
      throw new IpcFramingError(
        'dictionary-encoded columns are not allowed across the plugin boundary (decode them to plain columns)',
      );
    }
    const children = fb.field(f, 5);
    if (children) checkFields(fb, fb.deref(children), depth + 1);
  }
}

export interface FrameSummary {
  rows: number;
  bodyBytes: number;
}

/**
 * Throws IpcFramingError unless `bytes` is exactly: schema, one record batch, EOS.
 * Accepts both the continuation-marker and the legacy (pre-0.15) length prefix.
 */
export function validateIpcBatch(bytes: Uint8Array): FrameSummary {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const kinds: number[] = [];
  let rows = 0;
  let bodyBytes = 0;
  let sawEos = false;
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
      if (headerType === HEADER_SCHEMA) {
        const fields = fb.field(header, 1);
        if (fields) checkFields(fb, fb.deref(fields), 0);
      } else if (headerType === HEADER_DICTIONARY) {
        throw new IpcFramingError('dictionary batches are not allowed across the plugin boundary');
      } else if (headerType === HEADER_RECORD_BATCH) {
        if (fb.field(header, 3) !== 0) {
          throw new IpcFramingError(
            'compressed record batches are not allowed across the plugin boundary (write buffers uncompressed)',
          );
        }
        const lenPos = fb.field(header, 0);
        rows = lenPos ? fb.i64(lenPos) : 0;
      } else {
        throw new IpcFramingError(`unknown IPC message type ${headerType}`);
      }
      kinds.push(headerType);
      pos += len;
      if (bodyLen < 0 || pos + bodyLen > bytes.length)
        throw new IpcFramingError('message body runs past the end of the payload');
      pos += bodyLen;
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
export function decodeIpcBatch(bytes: Uint8Array): RecordBatch {
  validateIpcBatch(bytes);
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
