/**
 * The native CSV source: files by list or glob, streamed through a byte-level parser into Arrow
 * utf8 batches (the contract layer coerces types), with `file_modified_time` incremental state.
 */

import path from 'node:path';
import type { ResolvedSource } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import { adoptOriginalFileKeys } from '../../state/original.js';
import { mergeBounded } from '../merge.js';
import type {
  CheckResult,
  DiscoverResult,
  Source,
  SourceBatch,
  SourceOpenContext,
  SourceState,
} from '../source.js';
import { type CsvFile, checkInputFiles, expandFiles } from './files.js';
import { inferCsvColumns } from './infer.js';
import { type CsvOptions, parseCsvOptions } from './options.js';
import { readCsvFile, readHeader } from './read-file.js';
import { fileEntry, isUnchanged } from './state.js';

export { type CsvOptions, parseCsvOptions } from './options.js';
export { CsvParser, type CsvParserOptions, type ParsedBatch } from './parser.js';

export interface CsvSourceOptions {
  /** Column names for headerless files (the contract's field names). */
  columnNames?: string[];
  /** Rows per batch when neither the options nor the open context say. */
  batchSize?: number;
}

const DEFAULT_BATCH_SIZE = 10_000;

export function createCsvSource(source: ResolvedSource, opts: CsvSourceOptions = {}): Source {
  // `null_values` may sit on the source itself (per source, as documented) or in the engine options.
  const nullValues = source.config.null_values;
  const csv: CsvOptions = parseCsvOptions(
    nullValues === undefined ? source.options : { ...source.options, null_values: nullValues },
  );
  const incremental = source.incremental?.strategy === 'file_modified_time' ? source.incremental : undefined;

  let ctx: SourceOpenContext | undefined;
  let toRead: CsvFile[] = [];
  let skippedAll = false;
  let previous: SourceState = {};
  const completed: SourceState = {};

  const batchSize = (): number => csv.batchSize ?? ctx?.batchSize ?? opts.batchSize ?? DEFAULT_BATCH_SIZE;

  return {
    kind: 'csv',

    async open(context) {
      ctx = context;
      const files = await expandFiles(source.files, incremental !== undefined);
      // The original keyed files by the path as written (relative to the working directory).
      previous = adoptOriginalFileKeys({ ...context.state }, files, [process.cwd()]);
      if (!incremental) {
        toRead = files;
        skippedAll = false;
        return;
      }
      const lookback = incremental.lookbackDays ?? 0;
      toRead = files.filter((f) => !isUnchanged(f, previous, lookback));
      skippedAll = toRead.length === 0;
      for (const f of files) {
        if (!toRead.includes(f))
          context.logger.info({ file: f.path }, 'csv: file unchanged since last run, skipped');
      }
    },

    async *read(): AsyncGenerator<SourceBatch> {
      if (!ctx) throw new DativoError('INTERNAL', 'csv source read() before open()');
      const signal = ctx.signal;
      const readers = toRead.map(
        (file) => () =>
          readCsvFile(file.path, {
            csv,
            batchSize: batchSize(),
            ...(opts.columnNames ? { columnNames: opts.columnNames } : {}),
            signal,
            onComplete: () => {
              if (incremental) completed[file.stateKey] = fileEntry(file);
            },
          }),
      );
      yield* mergeBounded(readers, csv.parallelFiles, 2);
    },

    checkpoint() {
      return { ...previous, ...completed };
    },

    nothingNew() {
      return skippedAll;
    },

    check: (): Promise<CheckResult> => checkInputFiles(source.files),

    async discover(): Promise<DiscoverResult> {
      const files = await expandFiles(source.files, true);
      const objects = [];
      for (const f of files) {
        const columns = await readHeader(f.path, {
          csv,
          batchSize: 1,
          ...(opts.columnNames ? { columnNames: opts.columnNames } : {}),
        });
        objects.push({
          name: path.basename(f.path, path.extname(f.path)),
          type: 'file',
          path: f.path,
          size: f.size,
          modified: new Date(Math.floor(f.mtimeMs)).toISOString(),
          // Types guessed from a sample; a headerless file keeps the names it was given.
          columns: !csv.header
            ? columns.map((name) => ({ name, type: 'string' }))
            : (await inferCsvColumns(f.path, source.options)).map(({ name, type }) => ({ name, type })),
        });
      }
      return {
        objects,
        metadata: {
          format: 'csv',
          delimiter: String.fromCharCode(csv.delimiter),
          header: csv.header,
          encoding: typeof csv.encoding === 'string' ? csv.encoding : csv.encoding.label,
        },
      };
    },

    async close() {
      toRead = [];
    },
  };
}
