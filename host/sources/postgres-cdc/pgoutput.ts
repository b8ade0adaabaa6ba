/**
 * A decoder for pgoutput protocol version 1 (the messages `pg_logical_slot_peek_binary_changes`
 * returns for a pgoutput slot). Our own rather than `pg-logical-replication`'s: that client
 * acknowledges (sends standby status updates for) what it has streamed, while we must advance the
 * slot only after the Iceberg commit holding those changes ("commit, then acknowledge"), so we read
 * with peek and advance with `pg_replication_slot_advance` ourselves.
 *
 * Values arrive in text form ('t'); 'n' is null and 'u' an unchanged TOASTed value that was not
 * sent (the caller fills it from an earlier image). Binary values ('b') need protocol v2 with the
 * binary option, which we never ask for.
 */

export type TupleValue = string | null | { unchanged: true };

export const UNCHANGED: TupleValue = Object.freeze({ unchanged: true as const });

export interface RelationColumn {
  name: string;
  /** Part of the replica identity (the key pgoutput sends for deletes and key changes). */
  key: boolean;
  typeOid: number;
  typmod: number;
}

export type PgOutputMessage =
  | { tag: 'begin'; finalLsn: bigint; commitTime: bigint; xid: number }
  | { tag: 'commit'; flags: number; commitLsn: bigint; endLsn: bigint; commitTime: bigint }
  | { tag: 'origin'; lsn: bigint; name: string }
  | {
      tag: 'relation';
      oid: number;
      schema: string;
      name: string;
      /** 'd' default (primary key), 'n' nothing, 'f' full, 'i' index. */
      replicaIdentity: string;
      columns: RelationColumn[];
    }
  | { tag: 'type'; oid: number; schema: string; name: string }
  | { tag: 'insert'; relation: number; newTuple: TupleValue[] }
  | {
      tag: 'update';
      relation: number;
      /** The old key ('K', only when the key changed) or the old row ('O', REPLICA IDENTITY FULL). */
      oldKind?: 'K' | 'O';
      oldTuple?: TupleValue[];
      newTuple: TupleValue[];
    }
  | { tag: 'delete'; relation: number; oldKind: 'K' | 'O'; oldTuple: TupleValue[] }
  | { tag: 'truncate'; options: number; relations: number[] }
  | { tag: 'message'; transactional: boolean; lsn: bigint; prefix: string; content: Uint8Array };

/** Microseconds between 1970-01-01 and Postgres' epoch 2000-01-01. */
export const PG_EPOCH_MICROS = 946_684_800_000_000n;

class Reader {
  private pos = 0;
  private readonly view: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new Error(`pgoutput: message truncated at byte ${this.pos} (needs ${n} more)`);
    }
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }
  i16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** A NUL-terminated string. */
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new Error(`pgoutput: unterminated string at byte ${this.pos}`);
    const s = decoder.decode(this.buf.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
  char(): string {
    return String.fromCharCode(this.u8());
  }
}

const decoder = new TextDecoder();

function tuple(r: Reader): TupleValue[] {
  const n = r.i16();
  const out: TupleValue[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const kind = r.char();
    if (kind === 'n') out[i] = null;
    else if (kind === 'u') out[i] = UNCHANGED;
    else if (kind === 't') out[i] = decoder.decode(r.bytes(r.i32()));
    else throw new Error(`pgoutput: unknown tuple value kind '${kind}' (binary values need protocol v2)`);
  }
  return out;
}

function relation(r: Reader): PgOutputMessage {
  const oid = r.u32();
  const schema = r.cstring();
  const name = r.cstring();
  const replicaIdentity = r.char();
  const n = r.i16();
  const columns: RelationColumn[] = [];
  for (let i = 0; i < n; i++) {
    const flags = r.u8();
    columns.push({ name: r.cstring(), key: (flags & 1) === 1, typeOid: r.u32(), typmod: r.i32() });
  }
  return { tag: 'relation', oid, schema, name, replicaIdentity, columns };
}

function update(r: Reader): PgOutputMessage {
  const rel = r.u32();
  let kind = r.char();
  if (kind === 'K' || kind === 'O') {
    const oldTuple = tuple(r);
    const oldKind = kind;
    kind = r.char();
    if (kind !== 'N') throw new Error(`pgoutput: update without a new tuple ('${kind}')`);
    return { tag: 'update', relation: rel, oldKind, oldTuple, newTuple: tuple(r) };
  }
  if (kind !== 'N') throw new Error(`pgoutput: update with unknown tuple kind '${kind}'`);
  return { tag: 'update', relation: rel, newTuple: tuple(r) };
}

/** Decodes one pgoutput v1 message. Throws on a malformed or unknown message. */
export function decodePgOutput(buf: Uint8Array): PgOutputMessage {
  const r = new Reader(buf);
  const tag = r.char();
  switch (tag) {
    case 'B':
      return { tag: 'begin', finalLsn: r.u64(), commitTime: r.i64(), xid: r.u32() };
    case 'C':
      return { tag: 'commit', flags: r.u8(), commitLsn: r.u64(), endLsn: r.u64(), commitTime: r.i64() };
    case 'O':
      return { tag: 'origin', lsn: r.u64(), name: r.cstring() };
    case 'R':
      return relation(r);
    case 'Y':
      return { tag: 'type', oid: r.u32(), schema: r.cstring(), name: r.cstring() };
    case 'I': {
      const rel = r.u32();
      const kind = r.char();
      if (kind !== 'N') throw new Error(`pgoutput: insert with tuple kind '${kind}'`);
      return { tag: 'insert', relation: rel, newTuple: tuple(r) };
    }
    case 'U':
      return update(r);
    case 'D': {
      const rel = r.u32();
      const kind = r.char();
      if (kind !== 'K' && kind !== 'O') throw new Error(`pgoutput: delete with tuple kind '${kind}'`);
      return { tag: 'delete', relation: rel, oldKind: kind, oldTuple: tuple(r) };
    }
    case 'T': {
      const count = r.i32();
      const options = r.u8();
      const relations: number[] = [];
      for (let i = 0; i < count; i++) relations.push(r.u32());
      return { tag: 'truncate', options, relations };
    }
    case 'M': {
      const transactional = r.u8() === 1;
      const lsn = r.u64();
      const prefix = r.cstring();
      return { tag: 'message', transactional, lsn, prefix, content: r.bytes(r.i32()) };
    }
    default:
      throw new Error(`pgoutput: unknown message type '${tag}' (0x${tag.charCodeAt(0).toString(16)})`);
  }
}

/** An LSN as Postgres prints it (`16/B374D848`). */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** Parses `16/B374D848`. */
export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!m) throw new Error(`not an LSN: ${text}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}
