/**
 * The Rust PDK's Arrow IPC encoder and decoder against apache-arrow, both directions, through a
 * real plugin (tests/e2e/pdk/echo-plugin) running in the Extism host: exact values, types and
 * nulls; plus the error record, JSON and the host-function wrappers.
 */
import {
  Field as ArrowField,
  type DataType as ArrowType,
  Bool,
  type Data,
  DateDay,
  Decimal,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Timestamp,
  TimeUnit,
  Type,
  tableToIPC,
  Utf8,
} from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExtismInstance } from '../../../host/plugins/extism/instance.js';
import { createPluginSource } from '../../../host/plugins/index.js';
import { decodeIpcBatch, validateIpcBatch } from '../../../host/plugins/ipc-frame.js';
import { openPlugin } from '../../../host/plugins/load.js';
import { checkRuntimeConformance } from '../../unit/plugins/conformance.js';
import { fakeJob } from '../../unit/plugins/fixtures.js';
import { buildRustPlugins, rustPluginDir } from './fixtures.js';

let echo: ExtismInstance;
const enc = new TextEncoder();
const dec = new TextDecoder();

beforeAll(async () => {
  buildRustPlugins('pdk-echo');
  ({ instance: echo } = await openPlugin(rustPluginDir('pdk-echo'), {
    role: 'reader',
    requiredExports: ['echo', 'describe', 'sample'],
    config: { answer: 42, nested: { list: [1, 'two'] } },
    state: { cursor: '7' },
  }));
}, 900_000);
afterAll(() => echo?.close());

async function call(fn: string, input?: Uint8Array): Promise<Uint8Array> {
  return (await echo.call(fn, input)) ?? new Uint8Array(0);
}
async function callJson(fn: string, input?: Uint8Array): Promise<Record<string, unknown>> {
  return JSON.parse(dec.decode(await call(fn, input))) as Record<string, unknown>;
}

/** Decimal128 raw words (4 × u32 per value) → bigint. */
function decimalAt(data: Data, i: number): bigint {
  const w = data.values as Uint32Array;
  let v = 0n;
  for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(w[i * 4 + k] as number);
  return BigInt.asIntN(128, v);
}

describe('Rust → host: batches the PDK encodes, decoded by apache-arrow', () => {
  it('has the contract types, exact values and nulls', async () => {
    const bytes = await call('sample');
    expect(validateIpcBatch(bytes)).toEqual({ rows: 10, bodyBytes: expect.any(Number) });
    const batch = decodeIpcBatch(bytes);
    const f = (n: string) => batch.schema.fields.find((x) => x.name === n) as ArrowField<ArrowType>;
    expect(batch.schema.fields.map((x) => `${x.name}:${x.type}:${x.nullable}`)).toEqual([
      'i:Int64:false',
      'f:Float64:true',
      'b:Bool:true',
      's:Utf8:true',
      'd:Date32<DAY>:true',
      'ts:Timestamp<MICROSECOND>:true',
      'tz:Timestamp<MICROSECOND, UTC>:true',
      'dec:Decimal[12e+2]:true',
    ]);
    expect((f('dec').type as Decimal).bitWidth).toBe(128);
    expect((f('tz').type as Timestamp).timezone).toBe('UTC');
    expect((f('ts').type as Timestamp).timezone).toBeNull();
    const col = (n: string) => batch.getChild(n)!;
    expect(col('i').get(0)).toBe(9223372036854775807n);
    expect([col('f').get(0), col('b').get(0), col('s').get(0)]).toEqual([1.5, true, 'héllo, "world"']);
    expect(Array.from({ length: 10 }, (_, i) => col('s').get(i))).toEqual([
      'héllo, "world"',
      null,
      'x',
      'x',
      'x',
      '',
      'x',
      'x',
      'x',
      'x',
    ]);
    expect((col('d').data[0]!.values as Int32Array)[0]).toBe(19000);
    expect((col('ts').data[0]!.values as BigInt64Array)[0]).toBe(1_700_000_000_123_456n);
    expect((col('tz').data[0]!.values as BigInt64Array)[0]).toBe(-1n);
    expect(decimalAt(col('dec').data[0]!, 0)).toBe(12345n);
    expect(decimalAt(col('dec').data[0]!, 9)).toBe(-900_000_000_000n);
    // Row 1 is null in every column but the non-nullable first.
    for (const n of ['f', 'b', 's', 'd', 'ts', 'tz', 'dec']) {
      expect(col(n).get(1), n).toBeNull();
      expect(col(n).nullCount, n).toBe(1);
    }
    expect(Array.from({ length: 10 }, (_, i) => col('b').get(i))).toEqual([
      true,
      null,
      false,
      true,
      false,
      false,
      true,
      false,
      false,
      true,
    ]);
    expect(Array.from({ length: 8 }, (_, i) => col('i').get(i + 2))).toEqual(
      Array.from({ length: 8 }, (_, i) => -BigInt(i + 2)),
    );
  });

  it('encodes 200k rows in one batch (n = 0.., s = "row-n", every 7th null) exactly', async () => {
    const bytes = await call('big', enc.encode('200000'));
    const batch = decodeIpcBatch(bytes);
    expect(batch.numRows).toBe(200_000);
    const n = batch.getChild('n')!;
    const s = batch.getChild('s')!;
    expect(n.nullCount).toBe(0);
    expect(s.nullCount).toBe(Math.ceil(200_000 / 7));
    let sum = 0n;
    for (const v of n.data[0]!.values as BigInt64Array) sum += v;
    expect(sum).toBe(19_999_900_000n);
    expect([s.get(0), s.get(1), s.get(199_999), s.get(7 * 1000)]).toEqual([
      null,
      'row-1',
      'row-199999',
      null,
    ]);
  });
});

/** A host-built batch of every contract type, with nulls (the way apache-arrow lays it out). */
function hostBatch(): RecordBatch {
  const rows = 5;
  const valid = (nulls: number[]) => {
    const bits = new Uint8Array(1);
    for (let i = 0; i < rows; i++) if (!nulls.includes(i)) bits[0]! |= 1 << i;
    return bits;
  };
  const dec = new Uint32Array(rows * 4);
  const decs = [12345n, -1n, 0n, 99999999999999n, -170141183460469231731687303715884105728n];
  decs.forEach((v, i) => {
    let u = BigInt.asUintN(128, v);
    for (let k = 0; k < 4; k++) {
      dec[i * 4 + k] = Number(u & 0xffffffffn);
      u >>= 32n;
    }
  });
  const strs = ['a', '', 'ünïcödé ✓', 'x,y', 'q"q'];
  const bytes = strs.map((s) => enc.encode(s));
  const offsets = new Int32Array(rows + 1);
  for (const [i, b] of bytes.entries()) offsets[i + 1] = (offsets[i] as number) + b.length;
  const data = new Uint8Array(offsets[rows] as number);
  for (const [i, b] of bytes.entries()) data.set(b, offsets[i]);
  const children = [
    makeData({
      type: new Int64(),
      length: rows,
      nullCount: 1,
      nullBitmap: valid([2]),
      data: new BigInt64Array([1n, -2n, 0n, 9007199254740993n, -9223372036854775808n]),
    }),
    makeData({
      type: new Float64(),
      length: rows,
      nullCount: 0,
      data: new Float64Array([0.1, -2.5, 1e300, Number.NaN, 0]),
    }),
    makeData({
      type: new Bool(),
      length: rows,
      nullCount: 1,
      nullBitmap: valid([4]),
      data: new Uint8Array([0b01101]),
    }),
    makeData({
      type: new Utf8(),
      length: rows,
      nullCount: 1,
      nullBitmap: valid([1]),
      valueOffsets: offsets,
      data,
    }),
    makeData({
      type: new DateDay(),
      length: rows,
      nullCount: 0,
      data: new Int32Array([0, -1, 19000, 2932896, -719162]),
    }),
    makeData({
      type: new Timestamp(TimeUnit.MICROSECOND),
      length: rows,
      nullCount: 2,
      nullBitmap: valid([0, 3]),
      data: new BigInt64Array([0n, 1n, -1_000_000n, 0n, 253402300799999999n]),
    }),
    makeData({
      type: new Timestamp(TimeUnit.MICROSECOND, 'UTC'),
      length: rows,
      nullCount: 0,
      data: new BigInt64Array([1n, 2n, 3n, 4n, 5n]),
    }),
    makeData({
      type: new Decimal(3, 38, 128),
      length: rows,
      nullCount: 1,
      nullBitmap: valid([2]),
      data: dec,
    }),
  ];
  const names = ['i', 'f', 'b', 's', 'd', 'ts', 'tz', 'dec'];
  const schema = new Schema(children.map((c, i) => new ArrowField(names[i] as string, c.type, i !== 1)));
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children }),
  );
}

describe('host → Rust: apache-arrow batches decoded by the PDK', () => {
  it('reads every contract type, value and null exactly', async () => {
    const ipc = tableToIPC(new Table(hostBatch()), 'stream');
    const d = await callJson('describe', ipc);
    expect(d.rows).toBe(5);
    const cols = d.columns as {
      name: string;
      type: string;
      nullable: boolean;
      nulls: number;
      values: unknown[];
    }[];
    expect(cols.map((c) => `${c.name}:${c.type}:${c.nullable}:${c.nulls}`)).toEqual([
      'i:int64:true:1',
      'f:float64:false:0',
      'b:bool:true:1',
      's:utf8:true:1',
      'd:date32:true:0',
      'ts:timestamp[us]:true:2',
      'tz:timestamp[us, UTC]:true:0',
      'dec:decimal128(38,3):true:1',
    ]);
    const v = Object.fromEntries(cols.map((c) => [c.name, c.values]));
    expect(v.i).toEqual(['1', '-2', null, '9007199254740993', '-9223372036854775808']);
    expect(v.f).toEqual([0.1, -2.5, 1e300, null, 0]); // NaN has no JSON form: written as null
    expect(v.b).toEqual([true, false, true, true, null]);
    expect(v.s).toEqual(['a', null, 'ünïcödé ✓', 'x,y', 'q"q']);
    expect(v.d).toEqual([0, -1, 19000, 2932896, -719162]);
    expect(v.ts).toEqual([null, '1', '-1000000', null, '253402300799999999']);
    expect(v.tz).toEqual(['1', '2', '3', '4', '5']);
    expect(v.dec).toEqual([
      '12345',
      '-1',
      null,
      '99999999999999',
      '-170141183460469231731687303715884105728',
    ]);
  });

  it('echoes a batch back unchanged (decode → encode), checked by apache-arrow', async () => {
    const original = hostBatch();
    const out = decodeIpcBatch(await call('echo', tableToIPC(new Table(original), 'stream')));
    expect(out.schema.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`)).toEqual(
      original.schema.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`),
    );
    for (const f of original.schema.fields) {
      const a = original.getChild(f.name)!;
      const b = out.getChild(f.name)!;
      expect(b.nullCount, f.name).toBe(a.nullCount);
      for (let i = 0; i < original.numRows; i++) {
        const x = a.get(i);
        const y = b.get(i);
        if (f.type.typeId === Type.Decimal) {
          expect(x === null ? null : decimalAt(b.data[0]!, i), `${f.name}[${i}]`).toBe(
            x === null ? null : decimalAt(a.data[0]!, i),
          );
        } else expect(y, `${f.name}[${i}]`).toEqual(x);
      }
    }
  });

  it('checksums a 100k-row host batch (int64 sum, utf8 bytes, nulls)', async () => {
    const rows = 100_000;
    const ints = new BigInt64Array(rows).map((_, i) => BigInt(i) * 3n - 5n);
    const strs = Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? null : `v${i}`));
    const table = new Table({
      n: makeData({ type: new Int64(), length: rows, nullCount: 0, data: ints }),
    });
    const { vectorFromArray } = await import('apache-arrow');
    const s = vectorFromArray(strs, new Utf8());
    const batch = new RecordBatch(
      new Schema([new ArrowField('n', new Int64(), false), new ArrowField('s', new Utf8(), true)]),
      makeData({
        type: new Struct([new ArrowField('n', new Int64()), new ArrowField('s', new Utf8())]),
        length: rows,
        nullCount: 0,
        children: [table.batches[0]!.data.children[0]!, s.data[0]!],
      }),
    );
    const r = await callJson('checksum', tableToIPC(new Table(batch), 'stream'));
    const expectedBytes = strs.reduce((n, x) => n + (x ? x.length : 0), 0);
    expect(r).toEqual({
      rows,
      sum: String(ints.reduce((a, b) => a + b, 0n)),
      bytes: expectedBytes,
      nulls: rows / 5,
    });
  });

  it('passes the runtime conformance suite (batch framing both ways)', async () => {
    const report = await checkRuntimeConformance({
      runtime: 'extism-rust-pdk',
      async echo(ipc) {
        validateIpcBatch(ipc);
        const out = await call('passthrough', ipc);
        validateIpcBatch(out);
        return out;
      },
      reader: (batches, rows) =>
        createPluginSource(
          fakeJob({
            source: {
              config: { batches, rows },
              plugin: { path: rustPluginDir('pdk-echo'), allow: { hosts: [], secrets: [] } },
            },
          }),
        ),
    });
    expect(report.checks.length).toBeGreaterThan(0);
  });
});

describe('errors, JSON and host functions', () => {
  it('an Err is the contract error record, not a trap', async () => {
    const err = await echo.call('fail').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const e = err as Error & { code: string; retryable: boolean };
    expect(e.code).toBe('PLUGIN_ERROR');
    expect(e.message).toContain('RATE_LIMITED');
    expect(e.message).toContain('slow down, "please"');
    expect(e.retryable).toBe(true);
    // The instance is still usable.
    expect((await callJson('describe', tableToIPC(new Table(hostBatch()), 'stream'))).rows).toBe(5);
  });

  it('a malformed batch is a BAD_INPUT error record', async () => {
    const err = (await echo
      .call('describe', new Uint8Array([255, 255, 255, 255, 9, 0, 0, 0, 1]))
      .catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/BAD_INPUT/);
    expect(err.message).toMatch(/malformed Arrow IPC/);
  });

  it('parses and re-serialises JSON exactly (escapes, unicode, big numbers, nesting)', async () => {
    const text =
      '{"a":[1,-2.5e3,12345678901234567890,true,false,null],"s":"q\\"\\\\\\n\\t\\u00e9\\ud83d\\ude00/","o":{"":{}},"e":[]}';
    const out = dec.decode(await call('json', enc.encode(text)));
    expect(JSON.parse(out)).toEqual({
      a: [1, -2500, 12345678901234567000, true, false, null],
      s: 'q"\\\n\té😀/',
      o: { '': {} },
      e: [],
    });
    expect(out).toContain('12345678901234567890'); // the number's text is kept
    const bad = (await echo.call('json', enc.encode('{"a":}')).catch((e: unknown) => e)) as Error;
    expect(bad.message).toMatch(/BAD_INPUT.*invalid JSON: unexpected character at byte 5/);
  });

  it('reads config and state, and sets state', async () => {
    const r = await callJson('host_calls');
    expect(r).toEqual({ config: { answer: 42, nested: { list: [1, 'two'] } }, before: '7' });
    expect(echo.state()).toMatchObject({ cursor: '42' });
  });

  it('a secret the job did not grant fails the call with PLUGIN_DENIED', async () => {
    const err = (await echo.call('secret').catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('PLUGIN_DENIED');
    expect(err.message).toContain('secret "nope" denied');
  });
});
