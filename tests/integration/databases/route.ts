/**
 * What the mocked `createSource` of connectors.ts returns for database jobs, plus test hooks. Kept
 * apart from harness.ts, which imports the pipeline: the mock factory importing that would wait on
 * itself.
 */
import type { ResolvedJob } from '../../../host/config/types.js';
import { createMysqlSource } from '../../../host/sources/mysql/index.js';
import { createPostgresSource } from '../../../host/sources/postgres/index.js';
import type { Source, SourceBatch } from '../../../host/sources/source.js';

/** Test hooks the mocked connectors apply to the next source they create. */
export const hooks: { onBatch?: (n: number, b: SourceBatch) => void; last?: Source } = {};

/** What the mocked `createSource` returns for database jobs. */
export function routedSource(job: ResolvedJob, batchSize: number): Source | undefined {
  const make =
    job.source.type === 'postgres'
      ? createPostgresSource
      : job.source.type === 'mysql'
        ? createMysqlSource
        : undefined;
  if (!make) return undefined;
  const src = make(job.source, { batchSize });
  hooks.last = src;
  const onBatch = hooks.onBatch;
  if (!onBatch) return src;
  return {
    ...src,
    kind: src.kind,
    open: (ctx) => src.open(ctx),
    async *read() {
      let n = 0;
      for await (const b of src.read()) {
        onBatch(++n, b);
        yield b;
      }
    },
  };
}
