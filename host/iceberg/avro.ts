/**
 * Avro object container files, as Iceberg manifests and manifest lists use them. Records are
 * encoded with avsc (longs as BigInt); the container is framed here so that `avro.schema` holds our
 * schema text verbatim, with the `field-id` attributes Iceberg readers need (avsc's own schema
 * output drops unknown attributes).
 */
import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import avro from 'avsc';

/** avsc long as BigInt: Iceberg snapshot ids and counts are 64-bit. */
export const bigintLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint | number) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: unknown) => BigInt(v as string),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint' || (typeof n === 'number' && Number.isInteger(n)),
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

export type AvroSchema = Record<string, unknown> | string | unknown[];

export function avroTypeOf(schema: AvroSchema): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { registry: { long: bigintLong } } as never);
}

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1
const META_TYPE = avro.Type.forSchema({ type: 'map', values: 'bytes' });
const LONG_TYPE = avro.Type.forSchema('long');

/** One container file (codec `null`) holding `records` in a single block. */
export function encodeContainer(
  schema: AvroSchema,
  records: unknown[],
  metadata: Record<string, string> = {},
): Uint8Array {
  const type = avroTypeOf(schema);
  const meta: Record<string, Buffer> = {
    'avro.schema': Buffer.from(JSON.stringify(schema)),
    'avro.codec': Buffer.from('null'),
  };
  for (const [k, v] of Object.entries(metadata)) meta[k] = Buffer.from(v);
  const sync = randomBytes(16);
  const parts: Buffer[] = [MAGIC, META_TYPE.toBuffer(meta), sync];
  if (records.length > 0) {
    const body = Buffer.concat(records.map((r) => type.toBuffer(r)));
    parts.push(LONG_TYPE.toBuffer(records.length), LONG_TYPE.toBuffer(body.length), body, sync);
  }
  return new Uint8Array(Buffer.concat(parts));
}

export interface DecodedContainer {
  schema: AvroSchema;
  metadata: Record<string, string>;
  records: Record<string, unknown>[];
}

/** Read a container file (codecs `null` and `deflate`), longs as BigInt. */
export function decodeContainer(bytes: Uint8Array): DecodedContainer {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!buf.subarray(0, 4).equals(MAGIC)) throw new Error('not an Avro container file');
  const head = META_TYPE.decode(buf, 4);
  if (head.offset < 0) throw new Error('truncated Avro header');
  const meta = head.value as Record<string, Buffer>;
  let pos = head.offset;
  const sync = buf.subarray(pos, pos + 16);
  pos += 16;
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) metadata[k] = v.toString('utf8');
  const schema = JSON.parse(metadata['avro.schema'] ?? 'null') as AvroSchema;
  const codec = metadata['avro.codec'] ?? 'null';
  if (codec !== 'null' && codec !== 'deflate') throw new Error(`unsupported Avro codec ${codec}`);
  const type = avroTypeOf(schema);
  const records: Record<string, unknown>[] = [];
  while (pos < buf.length) {
    const c = LONG_TYPE.decode(buf, pos);
    const s = LONG_TYPE.decode(buf, c.offset);
    const count = Number(c.value);
    const size = Number(s.value);
    let block = buf.subarray(s.offset, s.offset + size);
    pos = s.offset + size;
    if (!buf.subarray(pos, pos + 16).equals(sync)) throw new Error('Avro block sync marker mismatch');
    pos += 16;
    if (codec === 'deflate') block = inflateRawSync(block);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const r = type.decode(block, at);
      if (r.offset < 0) throw new Error('truncated Avro block');
      records.push(r.value as Record<string, unknown>);
      at = r.offset;
    }
  }
  return { schema, metadata, records };
}
