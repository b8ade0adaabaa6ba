/**
 * `COPY ... TO STDOUT` on a pg client without pg-copy-streams: a Submittable that receives the
 * CopyData messages. Each message goes straight to `onData`, which decodes it into column builders;
 * the caller pauses the socket (`pause()`) while the batches it produced wait for the consumer, so
 * memory stays bounded by a couple of batches whatever the table size.
 *
 * Postgres sends one CopyData message per row, and pg's parser makes a Buffer, a message object
 * and an event of each: about a third of the source's time on wide scans. So while the COPY runs,
 * the socket's bytes come here first (`CopyDataTap`): CopyData payloads are decoded where they lie
 * in the socket's chunk, and every other message is handed to pg's own listener unchanged, whole
 * and in order, so pg's protocol state never sees a difference.
 */
import type { Client } from 'pg';

type DataListener = (chunk: Buffer) => void;

interface PgStream {
  pause(): void;
  resume(): void;
  listeners(event: 'data'): DataListener[];
  on(event: 'data', l: DataListener): void;
  removeListener(event: 'data', l: DataListener): void;
}

interface PgConnection {
  query(text: string): void;
  sendCopyFail(msg: string): void;
  stream: PgStream;
}

export interface CopyOutHandlers {
  /** One CopyData payload: `chunk[start, end)`, valid only during the call. */
  onData(chunk: Buffer, start: number, end: number): void;
  onEnd(err?: Error): void;
}

const COPY_DATA = 0x64; // 'd'

/**
 * Sits between the socket and pg's parser: frames the backend's messages (a type byte, then an
 * int32 length that counts itself), decodes CopyData in place and forwards runs of other messages.
 * pg's listener only ever receives whole messages, so its buffer is empty whenever the tap leaves.
 */
export class CopyDataTap {
  private rest: Buffer | undefined;
  private detached = false;
  private readonly listener: DataListener = (chunk) => this.onChunk(chunk);

  constructor(
    private readonly stream: PgStream,
    private readonly pg: DataListener,
    private readonly onCopyData: (chunk: Buffer, start: number, end: number) => void,
  ) {
    stream.removeListener('data', pg);
    stream.on('data', this.listener);
  }

  /**
   * Gives the socket back to pg, with any bytes not yet framed. pg calls this (through the query's
   * end) while it handles forwarded bytes; pg's parser must not be re-entered then, so bytes left
   * in that chunk are forwarded by `onChunk` after pg returns.
   */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.stream.removeListener('data', this.listener);
    this.stream.on('data', this.pg);
    const rest = this.rest;
    this.rest = undefined;
    if (rest) this.pg(rest);
  }

  private onChunk(chunk: Buffer): void {
    let start = 0;
    if (this.rest) {
      // Finish the message that straddles the chunks on its own, so the chunk itself is never
      // copied: concatenating the rest with every chunk would copy the whole table once more.
      const rest = this.rest;
      const head = rest.length >= 5 ? rest : Buffer.concat([rest, chunk.subarray(0, 5 - rest.length)]);
      const missing = head.length < 5 ? Number.POSITIVE_INFINITY : 1 + head.readInt32BE(1) - rest.length;
      if (missing > chunk.length) {
        this.rest = Buffer.concat([rest, chunk]);
        return;
      }
      this.rest = undefined;
      this.frame(Buffer.concat([rest, chunk.subarray(0, missing)]), 0);
      start = missing;
      if (this.detached) {
        if (start < chunk.length) this.pg(chunk.subarray(start));
        return;
      }
    }
    this.frame(chunk, start);
  }

  /** Handles the whole messages of `buf` from `off` on and keeps an incomplete last one. */
  private frame(buf: Buffer, from: number): void {
    let off = from;
    let forwardFrom = -1;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    while (off + 5 <= buf.length) {
      const end = off + 1 + view.getInt32(off + 1);
      if (end > buf.length) break;
      if (buf[off] === COPY_DATA) {
        if (forwardFrom >= 0) {
          this.pg(buf.subarray(forwardFrom, off));
          forwardFrom = -1;
          if (this.detached) {
            this.pg(buf.subarray(off));
            return;
          }
        }
        this.onCopyData(buf, off + 5, end);
      } else if (forwardFrom < 0) forwardFrom = off;
      off = end;
    }
    if (forwardFrom >= 0) this.pg(buf.subarray(forwardFrom, off));
    if (off < buf.length) {
      if (this.detached) this.pg(buf.subarray(off));
      else this.rest = buf.subarray(off);
    }
  }
}

export class CopyOut {
  private connection: PgConnection | undefined;
  private tap: CopyDataTap | undefined;
  private error: Error | undefined;
  private ended = false;

  constructor(
    private readonly text: string,
    private readonly handlers: CopyOutHandlers,
  ) {}

  submit(connection: PgConnection): void {
    this.connection = connection;
    // Exactly one data listener is pg's parser; anything else and the tap stays out of the way
    // (CopyData then arrives through handleCopyData, slower but the same).
    const listeners = connection.stream.listeners('data');
    if (listeners.length === 1)
      this.tap = new CopyDataTap(connection.stream, listeners[0] as DataListener, (chunk, start, end) =>
        this.copyData(chunk, start, end),
      );
    connection.query(this.text);
  }

  pause(): void {
    this.connection?.stream.pause();
  }

  resume(): void {
    this.connection?.stream.resume();
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    this.copyData(msg.chunk, 0, msg.chunk.length);
  }

  private copyData(chunk: Buffer, start: number, end: number): void {
    if (this.error) return;
    try {
      this.handlers.onData(chunk, start, end);
    } catch (err) {
      // A decoding failure: remember it and let the server finish; the query ends with the error.
      this.error = err as Error;
    }
  }

  handleCopyInResponse(connection: PgConnection): void {
    connection.sendCopyFail('dativo: COPY FROM is not supported here');
  }

  handleError(err: Error): void {
    this.error ??= err;
    // A protocol error is followed by ReadyForQuery; a broken connection is not: end now.
    this.finish();
  }

  handleReadyForQuery(): void {
    this.finish();
  }

  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
  handleEmptyQuery(): void {}

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.tap?.detach();
    this.tap = undefined;
    this.connection?.stream.resume();
    this.handlers.onEnd(this.error);
  }
}

/** Runs the COPY on `client` (which must be idle). */
export function startCopyOut(client: Client, text: string, handlers: CopyOutHandlers): CopyOut {
  const q = new CopyOut(text, handlers);
  void (client as unknown as { query(q: unknown): unknown }).query(q);
  return q;
}
