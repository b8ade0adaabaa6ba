/**
 * Contract type names → FieldType (architecture §7). The flat form knows a short list of names; ODCS
 * `physicalType` may be any common SQL spelling and is the precise one (decimal(p,s), timestamptz),
 * with `logicalType` as the fallback.
 */
import type { FieldType } from './model.js';

const DEFAULT_DECIMAL = { precision: 38, scale: 9 };
const MAX_PRECISION = 38;

/** decimal(p,s) / numeric(p,s) / decimal / numeric; undefined when not a decimal; an Error when malformed. */
function parseDecimal(name: string): FieldType | Error | undefined {
  const m = /^(?:decimal|numeric|dec)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?$/.exec(name);
  if (!m)
    return /^(decimal|numeric)\b/.test(name) ? new Error(`malformed decimal type "${name}"`) : undefined;
  if (m[1] === undefined) return { kind: 'decimal', ...DEFAULT_DECIMAL };
  const precision = Number(m[1]);
  const scale = m[2] === undefined ? 0 : Number(m[2]);
  if (precision < 1 || precision > MAX_PRECISION)
    return new Error(`decimal precision must be 1..${MAX_PRECISION} in "${name}"`);
  if (scale > precision) return new Error(`decimal scale must not exceed its precision in "${name}"`);
  return { kind: 'decimal', precision, scale };
}

const FLAT: Record<string, FieldType> = {
  string: { kind: 'string' },
  text: { kind: 'string' },
  integer: { kind: 'int64' },
  int: { kind: 'int64' },
  long: { kind: 'int64' },
  bigint: { kind: 'int64' },
  float: { kind: 'float64' },
  double: { kind: 'float64' },
  number: { kind: 'float64' },
  boolean: { kind: 'bool' },
  bool: { kind: 'bool' },
  date: { kind: 'date' },
  timestamp: { kind: 'timestamp', utc: 'auto' },
  datetime: { kind: 'timestamp', utc: 'auto' },
  array: { kind: 'json' },
  object: { kind: 'json' },
};

export const FLAT_TYPE_NAMES = [...Object.keys(FLAT), 'decimal(p,s)', 'numeric(p,s)'];

/** A flat-form `type:`. Undefined for an unknown name; Error for a malformed decimal. */
export function flatFieldType(typeName: string): FieldType | Error | undefined {
  const name = typeName.trim().toLowerCase();
  return FLAT[name] ?? parseDecimal(name);
}

const PHYSICAL: Record<string, FieldType> = {
  ...FLAT,
  varchar: { kind: 'string' },
  'character varying': { kind: 'string' },
  char: { kind: 'string' },
  character: { kind: 'string' },
  nvarchar: { kind: 'string' },
  uuid: { kind: 'string' },
  smallint: { kind: 'int64' },
  tinyint: { kind: 'int64' },
  int2: { kind: 'int64' },
  int4: { kind: 'int64' },
  int8: { kind: 'int64' },
  serial: { kind: 'int64' },
  bigserial: { kind: 'int64' },
  real: { kind: 'float64' },
  float4: { kind: 'float64' },
  float8: { kind: 'float64' },
  'double precision': { kind: 'float64' },
  // Physical timestamps say whether they carry a zone: the precise answer, not 'auto'.
  timestamp: { kind: 'timestamp', utc: false },
  datetime: { kind: 'timestamp', utc: false },
  'timestamp without time zone': { kind: 'timestamp', utc: false },
  timestamp_ntz: { kind: 'timestamp', utc: false },
  timestamptz: { kind: 'timestamp', utc: true },
  'timestamp with time zone': { kind: 'timestamp', utc: true },
  timestamp_tz: { kind: 'timestamp', utc: true },
  timestamp_ltz: { kind: 'timestamp', utc: true },
  json: { kind: 'json' },
  jsonb: { kind: 'json' },
  struct: { kind: 'json' },
  map: { kind: 'json' },
  list: { kind: 'json' },
};

/** ODCS physicalType: SQL spellings, with length/precision suffixes such as varchar(100) or timestamp(6). */
export function physicalFieldType(typeName: string): FieldType | Error | undefined {
  const name = typeName.trim().toLowerCase().replace(/\s+/g, ' ');
  const dec = parseDecimal(name);
  if (dec !== undefined) return dec;
  if (PHYSICAL[name]) return PHYSICAL[name];
  // varchar(100), timestamp(6), timestamp(3) with time zone, char(2)
  const stripped = name
    .replace(/\(\s*\d+\s*\)/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (/\[\]$|^array</.test(stripped)) return { kind: 'json' };
  return PHYSICAL[stripped];
}

const LOGICAL: Record<string, FieldType> = {
  string: { kind: 'string' },
  integer: { kind: 'int64' },
  number: { kind: 'float64' },
  boolean: { kind: 'bool' },
  date: { kind: 'date' },
  // ODCS 3.1 adds these; accept them early.
  timestamp: { kind: 'timestamp', utc: 'auto' },
  time: { kind: 'string' },
  object: { kind: 'json' },
  array: { kind: 'json' },
};

/**
 * An ODCS property's type. physicalType wins when it is precise; a logicalType `date` with a
 * physical timestamp is a timestamp (ODCS 3.0.2 has no timestamp logical type).
 */
export function odcsFieldType(
  logicalType: string | undefined,
  physicalType: string | undefined,
): FieldType | Error | undefined {
  const physical = physicalType === undefined ? undefined : physicalFieldType(physicalType);
  if (physical instanceof Error) return physical;
  if (physical !== undefined) return physical;
  const logical = logicalType === undefined ? undefined : LOGICAL[logicalType.trim().toLowerCase()];
  if (logical !== undefined) {
    // Unknown physical spelling but a known logical type: the logical type is the contract.
    return logical;
  }
  return undefined;
}
