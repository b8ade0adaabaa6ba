/**
 * Bytes → text lines for line-delimited protocols (Airbyte, Singer). Pull-based: the next chunk is
 * read only when the consumer asks for the next line, so a slow consumer pauses the producer (the
 * container blocks on its stdout pipe) instead of buffering its output here.
 *
 * A line may be far larger than a chunk (a 20 MB record): its pieces are kept in a list and joined
 * once, never re-concatenated per chunk. A line above `maxLineBytes` fails with the line number
 * instead of growing without bound.
 */
import { DativoError } from '../../errors.js';

export interface Line {
  /** 1-based line number in the stream. */
  number: number;
  text: string;
}

export interface LineOptions {
  /** Largest accepted line in bytes (default 64 MiB). */
  maxLineBytes?: number;
  /** Names the stream in errors, e.g. "airbyte source-stripe stdout". */
  label?: string;
}

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;
const NL = 0x0a;

export async function* splitLines(
  chunks: AsyncIterable<Buffer>,
  opts: LineOptions = {},
): AsyncGenerator<Line> {
  const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let number = 0;

  const tooLong = (): DativoError =>
    new DativoError(
      'SOURCE_PROTOCOL',
      `${opts.label ?? 'connector output'}: line ${number + 1} is longer than ${max} bytes; ` +
        'raise max_line_bytes if the connector really emits records that large',
      { details: { line: number + 1, maxLineBytes: max } },
    );

  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) break;
      number++;
      let text: string;
      if (pendingBytes === 0) {
        text = chunk.toString('utf8', start, stripCr(chunk, start, nl));
      } else {
        pending.push(chunk.subarray(start, nl));
        pendingBytes += nl - start;
        if (pendingBytes > max) throw tooLong();
        const whole = Buffer.concat(pending, pendingBytes);
        text = whole.toString('utf8', 0, stripCr(whole, 0, whole.length));
        pending = [];
        pendingBytes = 0;
      }
      if (nl - start > max) throw tooLong();
      start = nl + 1;
      if (text.length > 0) yield { number, text };
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > max) throw tooLong();
    }
  }
  if (pendingBytes > 0) {
    number++;
    const whole = Buffer.concat(pending, pendingBytes);
    const text = whole.toString('utf8', 0, stripCr(whole, 0, whole.length));
    if (text.length > 0) yield { number, text };
  }
}

/** End of the line without a trailing CR (CRLF output from Windows-built tools). */
function stripCr(buf: Buffer, start: number, end: number): number {
  return end > start && buf[end - 1] === 0x0d ? end - 1 : end;
}
