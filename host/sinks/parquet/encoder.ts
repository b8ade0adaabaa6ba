/**
 * Main-thread side of the Parquet encoder: one worker per encoder, any number of open files, and
 * a bounded window of batches in flight (backpressure). `write()` resolves once the batch is
 * accepted into the window, so the caller goes on parsing while the worker encodes; a failure
 * surfaces on the file's next write or close, never as an unhandled rejection.
 */
import type { Worker } from 'node:worker_threads';
import type { Compression } from '../../config/types.js';
import type { FromWorker, ToWorker, WriterProps } from './protocol.js';
import { spawnWorker } from './spawn-worker.js';

export interface ParquetFileOptions {
  compression: Compression;
  rowGroupSize: number;
  kvMetadata?: Record<string, string>;
  createdBy?: string;
}

export interface ClosedFile {
  path: string;
  bytes: number;
  rows: number;
}

export interface ParquetFileWriter {
  readonly path: string;
  /** Rows accepted so far. */
  readonly rows: number;
  /** Send one complete Arrow IPC stream (the buffer may be transferred: do not reuse it). */
  write(ipc: Uint8Array, rows: number): Promise<void>;
  /** Bytes the file would have if closed now (flushed bytes + an estimate of the open row group). */
  estimatedBytes(): number;
  close(): Promise<ClosedFile>;
}

export interface ParquetEncoder {
  open(path: string, opts: ParquetFileOptions): ParquetFileWriter;
  /** Stop the worker; open files fail, their pending writes and closes reject. */
  terminate(): Promise<void>;
  /**
   * Start the worker now (loading it and compiling parquet-wasm takes ~1 s), so that happens while
   * the run recovers and opens its source instead of before the first byte. Idle, it does not keep
   * the process alive.
   */
  warmUp(): void;
}

export interface EncoderOptions {
  /** Batches sent to the worker and not yet taken by its encoder (all files together). Default 4. */
  maxInFlight?: number;
}

export const DEFAULT_CREATED_BY = 'dativo (parquet-rs via parquet-wasm 0.8.0)';

/**
 * Parquet bytes per IPC byte assumed before any row group of the run has been flushed. zstd on
 * typical tabular data lands at 0.2–0.35; a high prior makes the first file of a run roll early.
 */
const PRIOR_RATIO = 0.3;

interface FileState {
  id: number;
  path: string;
  rowGroupSize: number;
  rows: number;
  ipcBytes: number;
  inFlight: number;
  bytesOut: number;
  rowsEncoded: number;
  error: Error | undefined;
  closing: { resolve: (c: ClosedFile) => void; reject: (e: Error) => void } | undefined;
  closed: boolean;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createParquetEncoder(options: EncoderOptions = {}): ParquetEncoder {
  const maxInFlight = Math.max(1, options.maxInFlight ?? 4);
  const files = new Map<number, FileState>();
  const slotWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let worker: Worker | undefined;
  let dead: Error | undefined;
  let inFlight = 0;
  let nextId = 1;
  let seq = 0;
  // Learned compression: Parquet bytes per IPC byte over everything flushed so far.
  let learnedOut = 0;
  let learnedIn = 0;

  const releaseSlots = (): void => {
    while (inFlight < maxInFlight && slotWaiters.length > 0) slotWaiters.shift()?.resolve();
  };

  const failFile = (f: FileState, err: Error): void => {
    if (f.error || f.closed) return;
    f.error = err;
    inFlight -= f.inFlight;
    f.inFlight = 0;
    files.delete(f.id);
    idleCheck();
    f.closing?.reject(err);
    f.closing = undefined;
    releaseSlots();
  };

  const failAll = (err: Error): void => {
    dead ??= err;
    for (const f of [...files.values()]) failFile(f, err);
    for (const w of slotWaiters.splice(0)) w.reject(err);
  };

  const onMessage = (m: FromWorker): void => {
    if (m.t === 'fatal') {
      failAll(new Error(`parquet encoder crashed: ${m.message}`));
      return;
    }
    const f = files.get(m.file);
    if (!f) return;
    if (m.t === 'ack') {
      f.inFlight--;
      inFlight--;
      f.bytesOut = m.bytesOut;
      f.rowsEncoded = m.rowsEncoded;
      releaseSlots();
    } else if (m.t === 'closed') {
      f.closed = true;
      files.delete(f.id);
      idleCheck();
      learnedOut += m.bytes;
      learnedIn += f.ipcBytes;
      f.closing?.resolve({ path: f.path, bytes: m.bytes, rows: m.rows });
      f.closing = undefined;
    } else {
      failFile(f, new Error(`parquet encoding of ${f.path} failed: ${m.message}`));
    }
  };

  const ensureWorker = (): Worker => {
    if (dead) throw dead;
    if (worker) return worker;
    const w = spawnWorker(import.meta.url, 'encode-worker');
    w.on('message', onMessage);
    w.on('error', (e) => failAll(e instanceof Error ? e : new Error(String(e))));
    w.on('exit', (code) => {
      worker = undefined;
      failAll(new Error(`parquet encoder worker exited (code ${code})`));
    });
    worker = w;
    return w;
  };

  const send = (m: ToWorker, transfer?: ArrayBuffer[]): void => {
    ensureWorker().postMessage(m, transfer);
  };

  /** Parquet bytes per IPC byte over closed files and the flushed part of open ones. */
  const learnedRatio = (): number => {
    let out = learnedOut;
    let inp = learnedIn;
    for (const o of files.values()) {
      const flushed = flushedRowsOf(o.rowsEncoded, o.rowGroupSize);
      if (flushed > 0 && o.bytesOut > 0 && o.rows > 0) {
        out += o.bytesOut;
        inp += flushed * (o.ipcBytes / o.rows);
      }
    }
    return inp > 0 ? out / inp : PRIOR_RATIO;
  };

  // The worker keeps the process alive only while a file is open: an idle encoder must not stop
  // the CLI from exiting, and a busy one must not let it exit while a close is awaited.
  const idleCheck = (): void => {
    if (files.size === 0) worker?.unref();
  };

  const estimate = (f: FileState): number => {
    const flushed = flushedRowsOf(f.rowsEncoded, f.rowGroupSize);
    const pending = f.rows - flushed;
    let perRow: number;
    if (flushed > 0 && f.bytesOut > 0) perRow = f.bytesOut / flushed;
    else perRow = f.rows > 0 ? (f.ipcBytes / f.rows) * learnedRatio() : 0;
    return Math.round(f.bytesOut + pending * perRow);
  };

  return {
    open(path, opts) {
      if (dead) throw dead;
      const f: FileState = {
        id: nextId++,
        path,
        rowGroupSize: opts.rowGroupSize,
        rows: 0,
        ipcBytes: 0,
        inFlight: 0,
        bytesOut: 0,
        rowsEncoded: 0,
        error: undefined,
        closing: undefined,
        closed: false,
      };
      files.set(f.id, f);
      ensureWorker().ref();
      const props: WriterProps = {
        compression: opts.compression,
        rowGroupSize: opts.rowGroupSize,
        kvMetadata: opts.kvMetadata ?? {},
        createdBy: opts.createdBy ?? DEFAULT_CREATED_BY,
      };
      send({ t: 'open', file: f.id, path, props });

      return {
        path,
        get rows() {
          return f.rows;
        },
        async write(ipc, rows) {
          if (f.error) throw f.error;
          if (f.closing || f.closed) throw new Error(`write after close: ${path}`);
          while (inFlight >= maxInFlight) {
            await new Promise<void>((resolve, reject) => slotWaiters.push({ resolve, reject }));
            if (f.error) throw f.error;
          }
          f.rows += rows;
          f.ipcBytes += ipc.byteLength;
          f.inFlight++;
          inFlight++;
          send({ t: 'batch', file: f.id, seq: seq++, ipc, rows }, transferable(ipc));
        },
        estimatedBytes: () => estimate(f),
        close() {
          if (f.error) return Promise.reject(f.error);
          if (f.closing || f.closed) return Promise.reject(new Error(`closed twice: ${path}`));
          return new Promise<ClosedFile>((resolve, reject) => {
            f.closing = { resolve, reject };
            send({ t: 'close', file: f.id });
          });
        },
      };
    },

    warmUp() {
      ensureWorker();
      idleCheck();
    },

    async terminate() {
      const w = worker;
      failAll(new Error('parquet encoder terminated'));
      if (w) await w.terminate();
    },
  };
}

/** Rows already in flushed row groups: parquet-rs cuts row groups at exactly `rowGroupSize` rows. */
function flushedRowsOf(rowsEncoded: number, rowGroupSize: number): number {
  return Math.floor(rowsEncoded / rowGroupSize) * rowGroupSize;
}

/** Transfer the buffer when the view covers all of it; otherwise copy (never steal a shared buffer). */
function transferable(ipc: Uint8Array): ArrayBuffer[] | undefined {
  const buf = ipc.buffer;
  if (buf instanceof ArrayBuffer && ipc.byteOffset === 0 && ipc.byteLength === buf.byteLength) return [buf];
  return undefined;
}
