/**
 * Partition transforms (Iceberg spec "Partition Transforms" and appendix B for bucket hashing):
 * identity, year, month, day, hour, truncate[W], bucket[N], void. Values are in the internal form
 * of values.ts; results are what goes into a manifest's `partition` struct.
 */
import { baseType, type IcebergValue, twosComplementBE } from './values.js';

export type Transform =
  | { kind: 'identity' }
  | { kind: 'year' }
  | { kind: 'month' }
  | { kind: 'day' }
  | { kind: 'hour' }
  | { kind: 'void' }
  | { kind: 'bucket'; n: number }
  | { kind: 'truncate'; width: number };

export function parseTransform(s: string): Transform {
  const t = s.trim().toLowerCase();
  const m = /^(bucket|truncate)\[(\d+)\]$/.exec(t);
  if (m) {
    const n = Number(m[2]);
    if (!(n > 0)) throw new Error(`invalid transform ${s}: the parameter must be positive`);
    return m[1] === 'bucket' ? { kind: 'bucket', n } : { kind: 'truncate', width: n };
  }
  if (['identity', 'year', 'month', 'day', 'hour', 'void'].includes(t)) return { kind: t } as Transform;
  throw new Error(`unknown partition transform ${JSON.stringify(s)}`);
}

export function transformToString(t: Transform): string {
  if (t.kind === 'bucket') return `bucket[${t.n}]`;
  if (t.kind === 'truncate') return `truncate[${t.width}]`;
  return t.kind;
}

/** The Iceberg type of the transform's result for a source column of type `source`. */
export function resultType(t: Transform, source: string): string {
  const b = baseType(source);
  switch (t.kind) {
    case 'identity':
    case 'truncate':
    case 'void':
      return source;
    case 'bucket':
    case 'year':
    case 'month':
    case 'hour':
      return 'int';
    case 'day':
      return b === 'date' || b.startsWith('timestamp') ? 'date' : 'int';
  }
}

/** Throws when the transform cannot apply to the source type (spec's table of allowed types). */
export function checkTransform(t: Transform, source: string): void {
  const b = baseType(source);
  const temporal = ['date', 'timestamp', 'timestamptz'];
  const ok =
    t.kind === 'identity' || t.kind === 'void'
      ? true
      : t.kind === 'bucket'
        ? [
            'int',
            'long',
            'decimal',
            'date',
            'time',
            'timestamp',
            'timestamptz',
            'string',
            'uuid',
            'fixed',
            'binary',
          ].includes(b)
        : t.kind === 'truncate'
          ? ['int', 'long', 'decimal', 'string', 'binary'].includes(b)
          : t.kind === 'hour'
            ? ['timestamp', 'timestamptz'].includes(b)
            : temporal.includes(b);
  if (!ok) throw new Error(`transform ${transformToString(t)} cannot apply to a ${source} column`);
}

const MICROS_PER_HOUR = 3_600_000_000n;
const MICROS_PER_DAY = 86_400_000_000n;

const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
};

/** Days since 1970-01-01 of a date (days) or timestamp (micros). */
function epochDays(v: IcebergValue, source: string): number {
  const b = baseType(source);
  if (b === 'date') return Number(v);
  return Number(floorDiv(BigInt(v as number | bigint), MICROS_PER_DAY));
}

function civil(days: number): { y: number; m: number } {
  const d = new Date(days * 86_400_000);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() };
}

/** Apply `t` to a non-null value; null stays null (every transform maps null to null). */
export function applyTransform(t: Transform, source: string, v: IcebergValue | null): IcebergValue | null {
  if (v === null) return null;
  switch (t.kind) {
    case 'identity':
      return v;
    case 'void':
      return null;
    case 'year':
      return civil(epochDays(v, source)).y - 1970;
    case 'month': {
      const c = civil(epochDays(v, source));
      return (c.y - 1970) * 12 + c.m;
    }
    case 'day':
      return epochDays(v, source);
    case 'hour':
      return Number(floorDiv(BigInt(v as number | bigint), MICROS_PER_HOUR));
    case 'bucket':
      return (hashValue(source, v) & 0x7fffffff) % t.n;
    case 'truncate':
      return truncate(t.width, source, v);
  }
}

function truncate(w: number, source: string, v: IcebergValue): IcebergValue {
  switch (baseType(source)) {
    case 'int':
      return (v as number) - ((((v as number) % w) + w) % w);
    case 'long':
    case 'decimal': {
      const x = BigInt(v as number | bigint);
      const W = BigInt(w);
      return x - (((x % W) + W) % W);
    }
    case 'string': {
      // W code points, not UTF-16 units.
      const cps = Array.from(v as string);
      return cps.length <= w ? (v as string) : cps.slice(0, w).join('');
    }
    case 'binary':
      return (v as Uint8Array).subarray(0, w).slice();
    default:
      throw new Error(`truncate cannot apply to ${source}`);
  }
}

/** Appendix B: the 32-bit hash of a value (signed), as bucket[N] uses it. */
export function hashValue(source: string, v: IcebergValue): number {
  switch (baseType(source)) {
    case 'int':
    case 'long':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz': {
      // ints and dates hash as longs, so promoting int → long keeps every bucket.
      const b = new DataView(new ArrayBuffer(8));
      b.setBigInt64(0, BigInt(v as number | bigint), true);
      return murmur3x86_32(new Uint8Array(b.buffer));
    }
    case 'decimal':
      return murmur3x86_32(twosComplementBE(BigInt(v as number | bigint)));
    case 'string':
      return murmur3x86_32(new TextEncoder().encode(v as string));
    case 'uuid':
      return murmur3x86_32(typeof v === 'string' ? uuidBytes(v) : (v as Uint8Array));
    case 'fixed':
    case 'binary':
      return murmur3x86_32(v as Uint8Array);
    default:
      throw new Error(`bucket cannot hash a ${source} value`);
  }
}

/** A UUID string as its 16 big-endian bytes. */
export function uuidBytes(s: string): Uint8Array {
  const hex = s.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${s}`);
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

/** MurmurHash3 x86 32-bit, seed 0, returned signed (Java's int), as the spec's examples are. */
export function murmur3x86_32(data: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed | 0;
  const n = data.length;
  const blocks = n - (n % 4);
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (data[i] as number) |
      ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) |
      ((data[i + 3] as number) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  // Tail bytes (the reference algorithm's fall-through switch, unrolled).
  const tail = n & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= (data[blocks + 2] as number) << 16;
    if (tail >= 2) k ^= (data[blocks + 1] as number) << 8;
    k ^= data[blocks] as number;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Human-readable partition value for file paths (`ts_day=2017-11-16`), as Java writes them. */
export function humanPartitionValue(t: Transform, resultTypeName: string, v: IcebergValue | null): string {
  if (v === null) return 'null';
  const iso = (ms: number) => new Date(ms).toISOString();
  switch (t.kind) {
    case 'year':
      return String(1970 + (v as number));
    case 'month': {
      const y = 1970 + Math.floor((v as number) / 12);
      const m = (((v as number) % 12) + 12) % 12;
      return `${y}-${String(m + 1).padStart(2, '0')}`;
    }
    case 'day':
      return iso((v as number) * 86_400_000).slice(0, 10);
    case 'hour':
      return iso((v as number) * 3_600_000)
        .slice(0, 13)
        .replace('T', '-');
    default:
      break;
  }
  switch (baseType(resultTypeName)) {
    case 'date':
      return iso(Number(v) * 86_400_000).slice(0, 10);
    case 'timestamp':
    case 'timestamptz':
      return iso(Number(floorDiv(BigInt(v as bigint), 1000n))).replace(/Z$/, '');
    case 'binary':
    case 'fixed':
      return Buffer.from(v as Uint8Array).toString('base64');
    default:
      return String(v);
  }
}
