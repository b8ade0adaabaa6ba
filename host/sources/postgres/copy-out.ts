/**
 * `COPY ... TO STDOUT` on a pg client without pg-copy-streams: a Submittable that receives the
 * CopyData messages. Each message goes straight to `onData`, which decodes it into column builders;
 * the caller pauses the socket (`pause()`) while the batches it produced wait for the consumer, so
 * memory stays bounded by a couple of batches whatever the table size.
 */
import type { Client } from 'pg';

interface PgConnection {
  query(text: string): void;
  sendCopyFail(msg: string): void;
  stream: { pause(): void; resume(): void };
}

export interface CopyOutHandlers {
  onData(chunk: Buffer): void;
  onEnd(err?: Error): void;
}

export class CopyOut {
  private connection: PgConnection | undefined;
  private error: Error | undefined;
  private ended = false;

  constructor(
    private readonly text: string,
    private readonly handlers: CopyOutHandlers,
  ) {}

  submit(connection: PgConnection): void {
    this.connection = connection;
    connection.query(this.text);
  }

  pause(): void {
    this.connection?.stream.pause();
  }

  resume(): void {
    this.connection?.stream.resume();
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    if (this.error) return;
    try {
      this.handlers.onData(msg.chunk);
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
