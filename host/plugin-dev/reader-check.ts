/**
 * The reader half of `dativo plugin test`, whatever the runtime: open the Source with empty state,
 * read every batch (or up to --max-batches) and check each against the stream's contract (names,
 * Arrow types, nullability), or, without a contract, against the first batch's schema. The first
 * mismatch ends the read and is put in the report.
 */
import type { Schema } from 'apache-arrow';
import type { Contract } from '../contract/model.js';
import type { Logger } from '../observability/logger.js';
import type { Source } from '../sources/source.js';
import { checkBatchAgainstContract, checkBatchAgainstSchema, type SchemaMismatch } from './schema-check.js';

export interface ReadCheckOptions {
  contract?: Contract | undefined;
  batchSize: number;
  maxBatches?: number;
  logger: Logger;
  onBatch?: (info: { batch: number; rows: number }) => void;
}

export async function readAndCheck<R extends { batches: number; rows: number; mismatch?: SchemaMismatch }>(
  source: Source,
  opts: ReadCheckOptions,
  report: R,
): Promise<R> {
  const { contract, logger, batchSize } = opts;
  await source.open({ state: {}, logger, signal: new AbortController().signal, batchSize });
  let first: Schema | undefined;
  try {
    for await (const { batch } of source.read()) {
      report.batches++;
      report.rows += batch.numRows;
      opts.onBatch?.({ batch: report.batches, rows: batch.numRows });
      first ??= batch.schema;
      const mismatch = contract
        ? checkBatchAgainstContract(batch, contract.fields, report.batches)
        : checkBatchAgainstSchema(batch, first, report.batches);
      if (mismatch) {
        report.mismatch = mismatch;
        break;
      }
      if (opts.maxBatches !== undefined && report.batches >= opts.maxBatches) break;
    }
  } finally {
    await source.close();
  }
  return report;
}
