/**
 * Sources run by an external engine (Airbyte or Singer connectors in containers, Meltano).
 * Each engine adapts its protocol to the one Source interface.
 */
import type { ResolvedJob } from '../config/types.js';
import { DativoError } from '../errors.js';
import type { Source } from '../sources/source.js';

/** Engines this build can run (architecture §7 picks one per job). */
export const ENGINES: ReadonlySet<string> = new Set<string>();

export async function createEngineSource(job: ResolvedJob, _batchSize: number): Promise<Source> {
  throw new DativoError('NOT_IMPLEMENTED', `engine "${job.source.engine}" is not implemented yet`, {
    location: job.locate('source'),
  });
}
