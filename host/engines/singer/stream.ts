/**
 * The Singer message loop: stdout lines in, Arrow batches out, and the rule that makes resuming
 * safe: a STATE message becomes the checkpoint only once every RECORD the tap wrote before it has
 * been taken by the pipeline. A STATE is held with the count of records received before it and
 * released when no buffered (not yet yielded) record precedes it.
 *
 * Records are buffered per stream (a batch holds one stream), so with several streams the "safe
 * horizon" is the global index of the oldest record still buffered.
 */
import type { ContractField } from '../../contract/model.js';
import type { Logger } from '../../observability/logger.js';
import type { SourceBatch } from '../../sources/source.js';
import { recordsToBatch } from '../protocol/json-columns.js';
import type { Line } from '../protocol/lines.js';
import { malformed, parseMessage, type SchemaMessage } from './messages.js';

export interface SingerLoopOptions {
  /** Names the tap in errors. */
  label: string;
  fields: readonly ContractField[];
  batchSize: number;
  /** A batch is also cut when its records' JSON reaches this many bytes (default 64 MiB). */
  maxBatchBytes?: number;
  /** Streams to keep; records of other streams are counted and dropped. */
  selected: ReadonlySet<string> | 'all';
  logger: Logger;
  /** Called with a STATE value once everything before it has been yielded. */
  onSafeState(value: Record<string, unknown>): void;
}

export interface SingerLoopStats {
  records: number;
  dropped: number;
  states: number;
  schemas: Map<string, SchemaMessage>;
  versions: Map<string, number>;
}

interface Buffer {
  rows: Record<string, unknown>[];
  /** Global index (0-based) of the first buffered row. */
  first: number;
  bytes: number;
}

export async function* singerBatches(
  lines: AsyncIterable<Line>,
  opts: SingerLoopOptions,
  stats: SingerLoopStats,
): AsyncGenerator<SourceBatch> {
  const buffers = new Map<string, Buffer>();
  const pending: { after: number; value: Record<string, unknown> }[] = [];
  let received = 0;
  const maxBytes = opts.maxBatchBytes ?? 64 * 1024 * 1024;

  const horizon = (): number => {
    let h = received;
    for (const b of buffers.values()) if (b.rows.length > 0 && b.first < h) h = b.first;
    return h;
  };
  const release = (): void => {
    const h = horizon();
    let last: Record<string, unknown> | undefined;
    while (pending.length > 0 && (pending[0] as { after: number }).after <= h) last = pending.shift()?.value;
    if (last) opts.onSafeState(last);
  };
  const take = (stream: string, b: Buffer): SourceBatch => {
    const batch = recordsToBatch(b.rows, opts.fields);
    const out: SourceBatch = { batch, origin: { stream }, bytesRead: b.bytes };
    b.rows = [];
    b.bytes = 0;
    return out;
  };

  for await (const line of lines) {
    const msg = parseMessage(line.text, line.number, opts.label);
    switch (msg.type) {
      case 'RECORD': {
        if (opts.selected !== 'all' && !opts.selected.has(msg.stream)) {
          stats.dropped++;
          break;
        }
        if (!stats.schemas.has(msg.stream))
          throw malformed(opts.label, line.number, `RECORD for stream "${msg.stream}" before its SCHEMA`);
        let b = buffers.get(msg.stream);
        if (!b) {
          b = { rows: [], first: received, bytes: 0 };
          buffers.set(msg.stream, b);
        }
        if (b.rows.length === 0) b.first = received;
        b.rows.push(msg.record);
        b.bytes += line.text.length + 1;
        received++;
        stats.records++;
        if (b.rows.length >= opts.batchSize || b.bytes >= maxBytes) {
          yield take(msg.stream, b);
          release();
        }
        break;
      }
      case 'STATE':
        stats.states++;
        pending.push({ after: received, value: msg.value });
        release();
        break;
      case 'SCHEMA':
        stats.schemas.set(msg.stream, msg);
        break;
      case 'ACTIVATE_VERSION':
        // Append-only targets keep every version; the version is logged so a reader can filter.
        stats.versions.set(msg.stream, msg.version);
        opts.logger.debug({ stream: msg.stream, version: msg.version }, 'singer: ACTIVATE_VERSION');
        break;
      case 'OTHER':
        opts.logger.debug({ type: msg.name, line: line.number }, 'singer: message type ignored');
        break;
    }
  }
  for (const [stream, b] of buffers) {
    if (b.rows.length === 0) continue;
    yield take(stream, b);
  }
  release();
}
