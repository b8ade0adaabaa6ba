/**
 * Sources run by an external engine (Airbyte or Singer connectors in containers, Meltano).
 * Each engine adapts its protocol to the one Source interface.
 */
import type { ResolvedJob } from '../config/types.js';
import { DativoError } from '../errors.js';
import type { Source } from '../sources/source.js';
import { createAirbyteSource } from './airbyte/index.js';
import { createMeltanoSource } from './meltano/index.js';
import { createSingerSource } from './singer/index.js';

export async function createEngineSource(job: ResolvedJob, _batchSize: number): Promise<Source> {
  if (job.source.engine === 'airbyte') return createAirbyteSource(job, _batchSize);
  if (job.source.engine === 'singer') return createSingerSource(job, _batchSize);
  if (job.source.engine === 'meltano') return createMeltanoSource(job, _batchSize);
  throw new DativoError('NOT_IMPLEMENTED', `engine "${job.source.engine}" is not implemented yet`, {
    location: job.locate('source'),
  });
}
