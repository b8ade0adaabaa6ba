/** Messages between the main thread and the Parquet encoder worker. */
import type { Compression } from '../../config/types.js';

export interface WriterProps {
  compression: Compression;
  /** Maximum rows per row group. */
  rowGroupSize: number;
  /** Parquet footer key-value metadata (the `dativo.*` tags). */
  kvMetadata: Record<string, string>;
  createdBy: string;
}

export type ToWorker =
  | { t: 'open'; file: number; path: string; props: WriterProps }
  /** One complete Arrow IPC stream; its ArrayBuffer is transferred. */
  | { t: 'batch'; file: number; seq: number; ipc: Uint8Array; rows: number }
  | { t: 'close'; file: number };

export type FromWorker =
  /**
   * The encoder took batch `seq`. Every batch before it is encoded; `bytesOut` is what the encoder
   * has emitted so far and `rowsEncoded` the rows of those earlier batches.
   */
  | { t: 'ack'; file: number; seq: number; bytesOut: number; rowsEncoded: number }
  /** The file is complete and fsynced. */
  | { t: 'closed'; file: number; bytes: number; rows: number }
  | { t: 'error'; file: number; message: string }
  /** The worker cannot go on (a wasm trap); every file fails. */
  | { t: 'fatal'; message: string };
