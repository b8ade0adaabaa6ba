/** The batch header checked against its body and schema (host/plugins/ipc-layout.ts). */
import { Bool, Field, Int32, List, Struct, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { IpcFramingError, validateIpcBatch } from '../../../host/plugins/ipc-frame.js';
import { goodBatch, lie } from '../../security/hostile/lying-batches.js';

function framingError(bytes: Uint8Array, limits = {}): IpcFramingError {
  try {
    validateIpcBatch(bytes, limits);
  } catch (e) {
    if (e instanceof IpcFramingError) return e;
    throw e;
  }
  throw new Error('expected an IpcFramingError');
}

describe('batch layout', () => {
  it('accepts what apache-arrow writes: nested lists, structs, booleans, nulls, empty batches', () => {
    const t = new Table({
      l: vectorFromArray([[1, 2], [3], null], new List(new Field('item', new Int32(), true))),
      s: vectorFromArray([{ x: 1 }, { x: 2 }, null], new Struct([new Field('x', new Int32(), true)])),
      b: vectorFromArray([true, false, null], new Bool()),
      u: vectorFromArray(['a', null, 'ccc'], new Utf8()),
    });
    expect(validateIpcBatch(tableToIPC(t, 'stream'))).toMatchObject({ rows: 3 });
    expect(validateIpcBatch(goodBatch(0))).toMatchObject({ rows: 0 });
  });

  it('names the column whose buffers cannot hold the declared rows', () => {
    const e = framingError(
      lie(goodBatch(3), (m) => {
        m._length = 1000;
        for (const n of m._nodes) n.length = 1000;
      }),
    );
    expect(e.field).toBe('id');
    expect(e.message).toBe('the values buffer of column "id" has 24 bytes; 1000 values need 8000');
  });

  it('refuses string offsets that decrease or point past the data', () => {
    const good = goodBatch(3);
    // The body of goodBatch(3): id values (24 bytes), then name offsets (0, 5, 10, 15) and data.
    const bad = good.slice();
    const v = new DataView(bad.buffer);
    const offsetsAt = bad.length - 8 - 16 - 16; // before the data (16 bytes padded) and the EOS
    v.setInt32(offsetsAt + 8, 2, true);
    const e = framingError(bad);
    expect(e.field).toBe('name');
    expect(e.message).toBe('the offsets of column "name" decrease at value 1 (5 → 2)');
  });

  it('caps the rows per batch and the bytes per batch', () => {
    expect(framingError(goodBatch(50), { maxRows: 10 }).message).toBe(
      'the batch declares 50 rows, above the 10 allowed per batch',
    );
    expect(framingError(goodBatch(3), { maxBytes: 100 }).message).toMatch(
      /above the 100 granted \(memory_mb\)/,
    );
  });
});
