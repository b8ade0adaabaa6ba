/**
 * Avro containers (manifests, manifest lists) decoded with avsc's own file decoder — its header
 * parsing, its block reading — so the tests check our files with a reader we did not write.
 */
import avro from 'avsc';

/** A BigInt long of the test's own (the default avsc long refuses values above 2^53). */
const testLong = avro.types.LongType.__with({
  fromBuffer: (b: Buffer) => b.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(n);
    return b;
  },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

/** Decode a container with avsc's own file decoder (its header parsing, its block reading). */
export function decodeIndependently(
  bytes: Uint8Array,
): Promise<{ schema: unknown; meta: Record<string, string>; rows: unknown[] }> {
  return new Promise((resolve, reject) => {
    const rows: unknown[] = [];
    let schema: unknown;
    const meta: Record<string, string> = {};
    const dec = new avro.streams.BlockDecoder({
      parseHook: (s: unknown) => {
        schema = s;
        return avro.Type.forSchema(
          s as avro.Schema,
          { wrapUnions: false, registry: { long: testLong } } as never,
        );
      },
    } as never);
    dec.on('metadata', (_t: unknown, _codec: unknown, header: { meta: Record<string, Buffer> }) => {
      for (const [k, v] of Object.entries(header.meta)) meta[k] = v.toString();
    });
    dec.on('data', (r: unknown) => rows.push(r));
    dec.on('end', () => resolve({ schema, meta, rows }));
    dec.on('error', reject);
    dec.end(Buffer.from(bytes));
  });
}
