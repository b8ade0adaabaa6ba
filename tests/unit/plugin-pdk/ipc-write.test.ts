/**
 * The PDK's lean Arrow IPC encoder: every type it writes passes the host's boundary check and
 * reads back with apache-arrow with the right type, values and nulls.
 */
import { describe, expect, it } from 'vitest';
import { decodeIpcBatch, validateIpcBatch } from '../../../host/plugins/ipc-frame.js';
import { encodeIpcBatch } from '../../../plugin-pdk/ts/src/ipc-write.js';

describe('encodeIpcBatch', () => {
  it('writes every supported type, with and without nulls, and apache-arrow reads them back', () => {
    const bytes = encodeIpcBatch({
      i32: { type: { id: 'int32' }, values: [1, -2, null, 2147483647] },
      i64: { type: { id: 'int64' }, values: [1n, null, 9007199254740993n, -5] },
      f64: { type: { id: 'float64' }, values: [0.5, -1e300, null, 3] },
      b: { type: { id: 'bool' }, values: [true, false, null, true] },
      s: { type: { id: 'utf8' }, values: ['a', '', null, 'zz'] },
      u: { type: { id: 'utf8' }, values: ['é', '日本', 'x', null] },
      d: { type: { id: 'date32' }, values: [0, 19000, null, -1] },
      ts: { type: { id: 'timestamp', unit: 'us' }, values: [1_700_000_000_000_000n, null, 0, 1] },
      tz: { type: { id: 'timestamp', unit: 'ms', timezone: 'UTC' }, values: [1, 2, 3, null] },
      dense: { type: { id: 'int32' }, values: [7, 8, 9, 10] },
    });
    expect(validateIpcBatch(bytes).rows).toBe(4);
    const batch = decodeIpcBatch(bytes);
    expect(batch.numRows).toBe(4);
    expect(batch.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'i32:Int32',
      'i64:Int64',
      'f64:Float64',
      'b:Bool',
      's:Utf8',
      'u:Utf8',
      'd:Date32<DAY>',
      'ts:Timestamp<MICROSECOND>',
      'tz:Timestamp<MILLISECOND, UTC>',
      'dense:Int32',
    ]);
    const col = (n: string) => Array.from({ length: 4 }, (_, i) => batch.getChild(n)?.get(i));
    expect(col('i32')).toEqual([1, -2, null, 2147483647]);
    expect(col('i64')).toEqual([1n, null, 9007199254740993n, -5n]);
    expect(col('f64')).toEqual([0.5, -1e300, null, 3]);
    expect(col('b')).toEqual([true, false, null, true]);
    expect(col('s')).toEqual(['a', '', null, 'zz']);
    expect(col('u')).toEqual(['é', '日本', 'x', null]);
    expect(col('d')).toEqual([0, 19000 * 86_400_000, null, -86_400_000]);
    expect(col('ts').map((v) => (v === null ? null : Number(v)))).toEqual([
      1_700_000_000_000,
      null,
      0,
      0.001,
    ]);
    expect(col('tz')).toEqual([1, 2, 3, null]);
    expect(col('dense')).toEqual([7, 8, 9, 10]);
    expect(batch.getChild('dense')?.nullCount).toBe(0);
    expect(batch.getChild('i32')?.nullCount).toBe(1);
  });

  it('writes an empty batch and a wide one whose bitmaps span many bytes', () => {
    const empty = decodeIpcBatch(encodeIpcBatch({ id: { type: { id: 'int64' }, values: [] } }));
    expect(empty.numRows).toBe(0);
    const n = 1001;
    const ids = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : i));
    const wide = decodeIpcBatch(
      encodeIpcBatch({
        id: { type: { id: 'int32' }, values: ids },
        flag: { type: { id: 'bool' }, values: ids.map((i) => (i === null ? null : i % 2 === 0)) },
      }),
    );
    expect(wide.numRows).toBe(n);
    expect(wide.getChild('id')?.nullCount).toBe(334);
    expect(wide.getChild('id')?.get(1000)).toBe(1000);
    expect(wide.getChild('flag')?.get(998)).toBe(true);
    expect(wide.getChild('flag')?.get(999)).toBeNull();
  });

  it('copies typed arrays whole and splits large or negative int64 numbers without BigInt', () => {
    const batch = decodeIpcBatch(
      encodeIpcBatch({
        f: { type: { id: 'float64' }, values: Float64Array.from([1.5, -2, 3]) },
        i: { type: { id: 'int32' }, values: Int32Array.from([1, -1, 7]) },
        d: { type: { id: 'date32' }, values: Int32Array.from([0, 1, 2]) },
        b: { type: { id: 'int64' }, values: BigInt64Array.from([1n, -(2n ** 62n), 3n]) },
        n: { type: { id: 'int64' }, values: [-9007199254740991, 2 ** 40 + 5, -1] },
      }),
    );
    const col = (n: string) => Array.from({ length: 3 }, (_, i) => batch.getChild(n)?.get(i));
    expect(col('f')).toEqual([1.5, -2, 3]);
    expect(col('i')).toEqual([1, -1, 7]);
    expect(col('d')).toEqual([0, 86_400_000, 172_800_000]);
    expect(col('b')).toEqual([1n, -(2n ** 62n), 3n]);
    expect(col('n')).toEqual([-9007199254740991n, 2n ** 40n + 5n, -1n]);
  });

  it('writes into a buffer the caller provides, zeroing what it leaves', () => {
    const scratch = new Uint8Array(4096).fill(0xab);
    const bytes = encodeIpcBatch({ v: { type: { id: 'int32' }, values: [1, null, 3] } }, (n) =>
      scratch.subarray(0, n).fill(0),
    );
    expect(bytes.buffer).toBe(scratch.buffer);
    expect(Array.from({ length: 3 }, (_, i) => decodeIpcBatch(bytes).getChild('v')?.get(i))).toEqual([
      1,
      null,
      3,
    ]);
  });

  it('refuses columns of different lengths, naming the column', () => {
    expect(() =>
      encodeIpcBatch({
        a: { type: { id: 'int32' }, values: [1, 2] },
        b: { type: { id: 'int32' }, values: [1] },
      }),
    ).toThrow(/column b has 1 values, the first column 2/);
  });
});
