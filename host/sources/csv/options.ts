/**
 * The native CSV options (spec §12), read once from `ResolvedSource.options` and checked at the edge.
 * Names follow the original (pandas) where it had one; a few aliases are accepted.
 */
import { DativoError } from '../../errors.js';

export type CsvEncoding = 'utf-8' | 'utf-16' | 'utf-16le' | 'utf-16be' | { label: string };

export interface CsvOptions {
  delimiter: number;
  quote: number;
  escape: number;
  header: boolean;
  skipRows: number;
  /** Unquoted field texts read as null (the empty unquoted field always is). */
  nullValues: string[];
  /** Whether a quoted empty field (`""`) is null rather than the empty string. */
  quotedEmptyIsNull: boolean;
  encoding: CsvEncoding;
  /** Rows per batch when set in the options (`batch_size`, `chunk_size`). */
  batchSize?: number;
  maxRowBytes?: number;
  /** Files read at the same time (`parallel_files`); default 2: one file's I/O overlaps another's parsing. */
  parallelFiles: number;
}

function invalid(key: string, message: string): DativoError {
  return new DativoError('CONFIG_INVALID', `source option ${key}: ${message}`, {
    location: { keyPath: `source.engine.options.${key}` },
  });
}

/** One ASCII byte from a config string (`\t`, `tab` and friends accepted); '' means none (-1). */
function singleByte(key: string, value: unknown, fallback: number, allowNone: boolean): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string')
    throw invalid(key, `expected a one-character string, got ${JSON.stringify(value)}`);
  const named: Record<string, string> = {
    tab: '\t',
    '\\t': '\t',
    pipe: '|',
    comma: ',',
    semicolon: ';',
    space: ' ',
  };
  const ch = named[value.toLowerCase()] ?? value;
  if (ch === '' && allowNone) return -1;
  if (ch.length !== 1 || ch.charCodeAt(0) > 127) {
    throw invalid(key, `expected a single ASCII character, got ${JSON.stringify(value)}`);
  }
  const b = ch.charCodeAt(0);
  if (b === 10 || b === 13) throw invalid(key, 'a line break cannot be used here');
  return b;
}

function bool(key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 0; // pandas `header=0`: the first row is the header
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (['true', 'yes', '1', 'infer'].includes(v)) return true;
    if (['false', 'no', '0', 'none'].includes(v)) return false;
  }
  throw invalid(key, `expected true or false, got ${JSON.stringify(value)}`);
}

function count(key: string, value: unknown, min: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) {
    throw invalid(key, `expected an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  }
  return n;
}

export function parseEncoding(value: unknown): CsvEncoding {
  if (value === undefined || value === null) return 'utf-8';
  if (typeof value !== 'string') throw invalid('encoding', `expected a string, got ${JSON.stringify(value)}`);
  const v = value.trim().toLowerCase().replace(/_/g, '-');
  if (['utf-8', 'utf8', 'utf-8-sig', 'utf8-sig', 'ascii', 'us-ascii'].includes(v)) return 'utf-8';
  if (['utf-16', 'utf16'].includes(v)) return 'utf-16';
  if (['utf-16-le', 'utf-16le', 'utf16le', 'utf16-le'].includes(v)) return 'utf-16le';
  if (['utf-16-be', 'utf-16be', 'utf16be', 'utf16-be'].includes(v)) return 'utf-16be';
  // Python spellings that are not WHATWG labels.
  const aliases: Record<string, string> = {
    'latin-1': 'latin1',
    'iso-8859-1': 'latin1',
    'cp-1252': 'cp1252',
  };
  const label = aliases[v] ?? v;
  try {
    new TextDecoder(label);
  } catch {
    throw invalid('encoding', `unknown encoding ${JSON.stringify(value)}`);
  }
  return { label };
}

/**
 * The original reader (pandas, spec §5) read `""`, `NULL`, `null` and `None` as null; so do we unless
 * the source gives its own `null_values` list (`[]` keeps every text, and `""` is the empty string).
 */
export const DEFAULT_NULL_VALUES: readonly string[] = ['', 'NULL', 'null', 'None'];

export function parseCsvOptions(options: Record<string, unknown>): CsvOptions {
  const quote = singleByte('quote_char', options.quote_char ?? options.quotechar, 34, true);
  const escapeChar = singleByte('escape_char', options.escape_char ?? options.escapechar, -1, true);
  const delimiter = singleByte('delimiter', options.delimiter ?? options.sep, 44, false);
  if (delimiter === quote) throw invalid('delimiter', 'the delimiter and the quote character must differ');
  let nullValues: string[] = [...DEFAULT_NULL_VALUES];
  const nv = options.null_values ?? options.na_values;
  if (typeof nv === 'string') nullValues = [nv];
  else if (Array.isArray(nv)) {
    nullValues = nv.map((v, i) => {
      if (typeof v !== 'string')
        throw invalid(`null_values[${i}]`, `expected a string, got ${JSON.stringify(v)}`);
      return v;
    });
  } else if (nv !== undefined && nv !== null) {
    throw invalid('null_values', `expected a list of strings, got ${JSON.stringify(nv)}`);
  }
  const out: CsvOptions = {
    delimiter,
    quote,
    escape: escapeChar === quote ? -1 : escapeChar,
    header: bool('header', options.header ?? options.has_header, true),
    skipRows: count('skip_rows', options.skip_rows ?? options.skiprows, 0) ?? 0,
    nullValues: nullValues.filter((v) => v !== ''),
    quotedEmptyIsNull: nullValues.includes(''),
    encoding: parseEncoding(options.encoding),
    parallelFiles: count('parallel_files', options.parallel_files, 1) ?? 2,
  };
  const batchSize = count('batch_size', options.batch_size ?? options.chunk_size, 1);
  if (batchSize !== undefined) out.batchSize = batchSize;
  const maxRow = count('max_row_bytes', options.max_row_bytes, 1);
  if (maxRow !== undefined) out.maxRowBytes = maxRow;
  return out;
}
