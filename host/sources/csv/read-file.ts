/** Streams one CSV file through the decoder and the parser, yielding SourceBatches. */
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { DativoError } from '../../errors.js';
import type { SourceBatch } from '../source.js';
import { createByteDecoder } from './decode.js';
import type { CsvOptions } from './options.js';
import { CsvParser, type ParsedBatch } from './parser.js';

export const READ_CHUNK_BYTES = 1 << 20;

export interface ReadFileOptions {
  csv: CsvOptions;
  batchSize: number;
  columnNames?: string[];
  signal?: AbortSignal;
  /** Called once the file's last batch is about to be yielded (or at its end when it has none). */
  onComplete?: () => void;
}

export function createParser(file: string, o: ReadFileOptions): CsvParser {
  const encoder = new TextEncoder();
  return new CsvParser({
    delimiter: o.csv.delimiter,
    quote: o.csv.quote,
    escape: o.csv.escape,
    header: o.csv.header,
    skipRows: o.csv.skipRows,
    nullValues: o.csv.nullValues.map((v) => encoder.encode(v)),
    quotedEmptyIsNull: o.csv.quotedEmptyIsNull,
    ...(o.columnNames ? { columnNames: o.columnNames } : {}),
    batchSize: o.batchSize,
    file,
    ...(o.csv.maxRowBytes ? { maxRowBytes: o.csv.maxRowBytes } : {}),
    validateUtf8: (bytes) => isUtf8(bytes),
  });
}

/**
 * The batches of one file. One batch is held back so the file can be marked complete right before
 * its last batch is handed out: a checkpoint taken after that batch is durable includes the file.
 */
export async function* readCsvFile(file: string, o: ReadFileOptions): AsyncGenerator<SourceBatch> {
  const parser = createParser(file, o);
  const decoder = createByteDecoder(o.csv.encoding);
  const stream = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  let consumed = 0;
  let reported = 0;
  let pending: SourceBatch | undefined;
  const wrap = (b: ParsedBatch): SourceBatch => {
    const out: SourceBatch = {
      batch: b.batch,
      lines: b.lines,
      origin: { file },
      bytesRead: consumed - reported,
    };
    if (b.rowErrors.length > 0) out.rowErrors = b.rowErrors;
    reported = consumed;
    return out;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (o.signal?.aborted) throw new DativoError('INTERRUPTED', `reading ${file} was interrupted`);
      consumed += chunk.length;
      for (const b of parser.push(decoder.push(chunk))) {
        if (pending) yield pending;
        pending = wrap(b);
      }
    }
    const batches = [...parser.push(decoder.end()), ...parser.finish()];
    for (const b of batches) {
      if (pending) yield pending;
      pending = wrap(b);
    }
  } catch (err) {
    if (err instanceof DativoError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new DativoError('SOURCE_NOT_FOUND', `input file not found: ${file}`, { cause: err });
    throw new DativoError('SOURCE_NOT_FOUND', `cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    stream.destroy();
  }
  if (pending) pending.bytesRead = (pending.bytesRead ?? 0) + (consumed - reported);
  o.onComplete?.();
  if (pending) yield pending;
}

/** The header (or given) column names of a file, reading no further than needed. */
export async function readHeader(file: string, o: ReadFileOptions): Promise<string[]> {
  const parser = createParser(file, { ...o, batchSize: 1 });
  if (parser.columnNames()) return parser.columnNames() as string[];
  const decoder = createByteDecoder(o.csv.encoding);
  const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parser.push(decoder.push(chunk));
      const names = parser.columnNames();
      if (names) return names;
    }
    parser.push(decoder.end());
    parser.finish();
    return parser.columnNames() ?? [];
  } finally {
    stream.destroy();
  }
}
