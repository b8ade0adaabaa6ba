/**
 * The `iceberg` target: data files staged under the table's location, then one atomic catalog
 * commit that carries the run id and the new source state in the snapshot summary.
 */
import type { ResolvedJob } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import type { SinkSettings } from '../../pipeline/connectors.js';
import type { Sink } from '../sink.js';

export async function createIcebergSink(job: ResolvedJob, _settings: SinkSettings): Promise<Sink> {
  throw new DativoError('NOT_IMPLEMENTED', 'the iceberg target is not implemented yet', {
    location: job.locate('target_connector_path'),
  });
}

/** Where the table lives, for reports (never includes credentials). */
export function icebergTargetLocation(_job: ResolvedJob): string | undefined {
  return undefined;
}
