import type { ResolvedSource } from '../../../host/config/types.js';
import { silentLogger } from '../../../host/observability/logger.js';
import { type CsvSourceOptions, createCsvSource } from '../../../host/sources/csv/index.js';
import type { Source, SourceBatch, SourceState } from '../../../host/sources/source.js';
import { batchRows } from './helpers.js';

export function csvSource(
  paths: string[],
  options: Record<string, unknown> = {},
  extra: Partial<ResolvedSource> = {},
): ResolvedSource {
  return {
    type: 'csv',
    engine: 'native',
    config: {},
    options,
    files: paths.map((path) => ({ path })),
    objects: [],
    credentials: {},
    ...extra,
  };
}

export interface ReadAll {
  source: Source;
  batches: SourceBatch[];
  columns: string[];
  rows: (string | null)[][];
  lines: number[];
}

export async function readAll(
  resolved: ResolvedSource,
  opts: CsvSourceOptions = {},
  state: SourceState = {},
  batchSize = 10_000,
): Promise<ReadAll> {
  const source = createCsvSource(resolved, opts);
  await source.open({ state, logger: silentLogger(), signal: new AbortController().signal, batchSize });
  const batches: SourceBatch[] = [];
  for await (const b of source.read()) batches.push(b);
  await source.close();
  return {
    source,
    batches,
    columns: batches[0]?.batch.schema.fields.map((f) => f.name) ?? [],
    rows: batches.flatMap((b) => batchRows(b.batch)),
    lines: batches.flatMap((b) => [...(b.lines ?? [])]),
  };
}
