import { describe, expect, it } from 'vitest';
import {
  decodePgOutput,
  formatLsn,
  PG_EPOCH_MICROS,
  parseLsn,
  UNCHANGED,
} from '../../../host/sources/postgres-cdc/pgoutput.js';

/** Builds pgoutput messages the way the server writes them (network byte order). */
class W {
  private parts: Buffer[] = [];
  ch(c: string): this {
    this.parts.push(Buffer.from(c, 'latin1'));
    return this;
  }
  u8(v: number): this {
    this.parts.push(Buffer.from([v]));
    return this;
  }
  i16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  i32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    this.parts.push(b);
    return this;
  }
  i64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
    return this;
  }
  str(s: string): this {
    this.parts.push(Buffer.from(s, 'utf8'), Buffer.from([0]));
    return this;
  }
  /** TupleData: null, undefined (unchanged TOAST) or text. */
  tuple(values: (string | null | undefined)[]): this {
    this.i16(values.length);
    for (const v of values) {
      if (v === null) this.ch('n');
      else if (v === undefined) this.ch('u');
      else {
        const b = Buffer.from(v, 'utf8');
        this.ch('t').i32(b.length);
        this.parts.push(b);
      }
    }
    return this;
  }
  done(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}

describe('pgoutput v1 decoder', () => {
  it('decodes begin and commit with LSNs and timestamps', () => {
    const ts = 789_000_000_000n;
    expect(decodePgOutput(new W().ch('B').i64(0x1_0000_00a0n).i64(ts).u32(4242).done())).toEqual({
      tag: 'begin',
      finalLsn: 0x1_0000_00a0n,
      commitTime: ts,
      xid: 4242,
    });
    expect(decodePgOutput(new W().ch('C').u8(0).i64(10n).i64(20n).i64(ts).done())).toEqual({
      tag: 'commit',
      flags: 0,
      commitLsn: 10n,
      endLsn: 20n,
      commitTime: ts,
    });
    expect(PG_EPOCH_MICROS / 1_000_000n).toBe(BigInt(Date.UTC(2000, 0, 1) / 1000));
  });

  it('decodes a relation with key flags, types and typmods', () => {
    const msg = new W()
      .ch('R')
      .u32(16384)
      .str('public')
      .str('orders')
      .ch('d')
      .i16(2)
      .u8(1)
      .str('id')
      .u32(23)
      .i32(-1)
      .u8(0)
      .str('amount')
      .u32(1700)
      .i32(((12 << 16) | 2) + 4)
      .done();
    expect(decodePgOutput(msg)).toEqual({
      tag: 'relation',
      oid: 16384,
      schema: 'public',
      name: 'orders',
      replicaIdentity: 'd',
      columns: [
        { name: 'id', key: true, typeOid: 23, typmod: -1 },
        { name: 'amount', key: false, typeOid: 1700, typmod: ((12 << 16) | 2) + 4 },
      ],
    });
  });

  it('decodes insert, update (plain, key change, full old row), delete and truncate', () => {
    expect(decodePgOutput(new W().ch('I').u32(7).ch('N').tuple(['1', null, 'héllo']).done())).toEqual({
      tag: 'insert',
      relation: 7,
      newTuple: ['1', null, 'héllo'],
    });
    expect(decodePgOutput(new W().ch('U').u32(7).ch('N').tuple(['1', undefined]).done())).toEqual({
      tag: 'update',
      relation: 7,
      newTuple: ['1', UNCHANGED],
    });
    expect(
      decodePgOutput(new W().ch('U').u32(7).ch('K').tuple(['1', null]).ch('N').tuple(['2', 'x']).done()),
    ).toEqual({ tag: 'update', relation: 7, oldKind: 'K', oldTuple: ['1', null], newTuple: ['2', 'x'] });
    expect(decodePgOutput(new W().ch('D').u32(7).ch('O').tuple(['1', 'x']).done())).toEqual({
      tag: 'delete',
      relation: 7,
      oldKind: 'O',
      oldTuple: ['1', 'x'],
    });
    expect(decodePgOutput(new W().ch('T').i32(2).u8(1).u32(7).u32(8).done())).toEqual({
      tag: 'truncate',
      options: 1,
      relations: [7, 8],
    });
  });

  it('decodes type and origin messages', () => {
    expect(decodePgOutput(new W().ch('Y').u32(99).str('public').str('mood').done())).toEqual({
      tag: 'type',
      oid: 99,
      schema: 'public',
      name: 'mood',
    });
    expect(decodePgOutput(new W().ch('O').i64(5n).str('node1').done())).toEqual({
      tag: 'origin',
      lsn: 5n,
      name: 'node1',
    });
  });

  it('refuses truncated, binary-valued and unknown messages with a message saying what', () => {
    expect(() => decodePgOutput(new W().ch('B').i64(1n).done())).toThrow(/truncated/);
    expect(() => decodePgOutput(new W().ch('I').u32(7).ch('N').i16(1).ch('b').done())).toThrow(
      /binary values need protocol v2/,
    );
    expect(() => decodePgOutput(new W().ch('Z').done())).toThrow(/unknown message type 'Z'/);
    expect(() => decodePgOutput(new W().ch('R').u32(1).done())).toThrow(/unterminated string/);
  });

  it('formats and parses LSNs', () => {
    expect(formatLsn(0x16_b374d848n)).toBe('16/B374D848');
    expect(parseLsn('16/B374D848')).toBe(0x16_b374d848n);
    expect(parseLsn('0/0')).toBe(0n);
    expect(() => parseLsn('nope')).toThrow(/not an LSN/);
  });
});
