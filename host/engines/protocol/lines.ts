/**
 * Bytes → text lines for line-delimited protocols (Airbyte, Singer). Pull-based: the next chunk is
 * read only when the consumer asks for more, so a slow consumer pauses the producer (the container
 * blocks on its stdout pipe) instead of buffering its output here.
 *
 * `splitLineBatches` hands over all the lines of a chunk at once: a fast connector writes hundreds
 * of records per chunk, and one async step per line (rather than per chunk) was a measurable share
 * of the Airbyte path's CPU. `splitLines` is the line-at-a-time form.
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

/** The synchronous core: feed chunks, collect complete non-empty lines. */
class LineSplitter {
  private readonly max: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private number = 0;

  constructor(private readonly opts: LineOptions) {
    this.max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /** The line being read (the one after the last complete line) is over the limit. */
  private tooLong(): DativoError {
    const line = this.number + 1;
    return new DativoError(
      'SOURCE_PROTOCOL',
      `${this.opts.label ?? 'connector output'}: line ${line} is longer than ${this.max} bytes; ` +
        'raise max_line_bytes if the connector really emits records that large',
      { details: { line, maxLineBytes: this.max } },
    );
  }

  /** Appends the lines `chunk` completes to `out`. */
  push(chunk: Buffer, out: Line[]): void {
    const max = this.max;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) break;
      let text: string;
      if (this.pendingBytes === 0) {
        if (nl - start > max) throw this.tooLong();
        text = chunk.toString('utf8', start, stripCr(chunk, start, nl));
      } else {
        this.pending.push(chunk.subarray(start, nl));
        this.pendingBytes += nl - start;
        if (this.pendingBytes > max) throw this.tooLong();
        const whole = Buffer.concat(this.pending, this.pendingBytes);
        text = whole.toString('utf8', 0, stripCr(whole, 0, whole.length));
        this.pending = [];
        this.pendingBytes = 0;
      }
      this.number++;
      start = nl + 1;
      if (text.length > 0) out.push({ number: this.number, text });
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
      if (this.pendingBytes > max) throw this.tooLong();
    }
  }

  /** The last line, when the stream did not end with a newline. */
  end(out: Line[]): void {
    if (this.pendingBytes === 0) return;
    this.number++;
    const whole = Buffer.concat(this.pending, this.pendingBytes);
    const text = whole.toString('utf8', 0, stripCr(whole, 0, whole.length));
    if (text.length > 0) out.push({ number: this.number, text });
  }
}

/** The complete lines of each chunk, as one array per chunk (never empty). */
export async function* splitLineBatches(
  chunks: AsyncIterable<Buffer>,
  opts: LineOptions = {},
): AsyncGenerator<Line[]> {
  const splitter = new LineSplitter(opts);
  for await (const chunk of chunks) {
    const out: Line[] = [];
    splitter.push(chunk, out);
    if (out.length > 0) yield out;
  }
  const last: Line[] = [];
  splitter.end(last);
  if (last.length > 0) yield last;
}

export async function* splitLines(
  chunks: AsyncIterable<Buffer>,
  opts: LineOptions = {},
): AsyncGenerator<Line> {
  for await (const lines of splitLineBatches(chunks, opts)) yield* lines;
}

/** End of the line without a trailing CR (CRLF output from Windows-built tools). */
function stripCr(buf: Buffer, start: number, end: number): number {
  return end > start && buf[end - 1] === 0x0d ? end - 1 : end;
}
