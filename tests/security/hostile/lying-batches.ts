/**
 * Arrow IPC batches that lie about their body: a valid batch is written by apache-arrow, then its
 * record-batch header is decoded, edited (row count, a column's length, a buffer's offset) and
 * written back in front of the untouched body. What a hostile plugin would hand the host.
 */
import { Int64, Message, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';

/** The fields of a record-batch header a lie may change (apache-arrow's private metadata). */
interface BatchMeta {
  _length: number | bigint;
  _nodes: { length: number | bigint; nullCount: number | bigint }[];
  _buffers: { offset: number | bigint; length: number | bigint }[];
}

/** Rows the contract `plugin_rows` (id bigint, name string) accepts. */
export function goodBatch(rows = 3, first = 1): Uint8Array {
  const ids = Array.from({ length: rows }, (_, i) => BigInt(first + i));
  const table = new Table({
    id: vectorFromArray(ids, new Int64()),
    name: vectorFromArray(
      ids.map((i) => `row-${i}`),
      new Utf8(),
    ),
  });
  return tableToIPC(table, 'stream');
}

interface Framed {
  /** Bytes before the record-batch message (the schema message). */
  head: Uint8Array;
  meta: Uint8Array;
  body: Uint8Array;
}

function split(ipc: Uint8Array): Framed {
  const v = new DataView(ipc.buffer, ipc.byteOffset, ipc.byteLength);
  const msgAt = (p: number) => ({ len: v.getInt32(p + 4, true), start: p + 8 });
  const schema = msgAt(0);
  const batchPos = schema.start + schema.len;
  const batch = msgAt(batchPos);
  const decoded = Message.decode(ipc.subarray(batch.start, batch.start + batch.len));
  const body = ipc.subarray(batch.start + batch.len, batch.start + batch.len + decoded.bodyLength);
  return { head: ipc.subarray(0, batchPos), meta: ipc.subarray(batch.start, batch.start + batch.len), body };
}

/** Rewrites the record-batch header with `edit`; the schema and the body bytes stay as they were. */
export function lie(ipc: Uint8Array, edit: (m: BatchMeta) => void): Uint8Array {
  const { head, meta, body } = split(ipc);
  const msg = Message.decode(meta);
  // header() decodes a fresh copy on every call: edit one and build a message around it.
  const header = msg.header();
  edit(header as unknown as BatchMeta);
  const flat = Message.encode(new Message(msg.bodyLength, msg.version, msg.headerType, header));
  const padded = (flat.byteLength + 7) & ~7;
  const out = new Uint8Array(head.byteLength + 8 + padded + body.byteLength + 8);
  const dv = new DataView(out.buffer);
  out.set(head, 0);
  let p = head.byteLength;
  dv.setInt32(p, -1, true);
  dv.setInt32(p + 4, padded, true);
  out.set(flat, p + 8);
  p += 8 + padded;
  out.set(body, p);
  p += body.byteLength;
  dv.setInt32(p, -1, true);
  dv.setInt32(p + 4, 0, true);
  return out;
}
