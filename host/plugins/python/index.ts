/**
 * The Python plugin runtime: readers (and writers) written for the original system's
 * `dativo_ingest.plugins` interface, run unchanged in Pyodide inside Deno inside bubblewrap.
 * docs/python-plugins.md describes it for users, and its "The sandbox" section the boundary.
 */
import type { SecretLookup } from '../../config/secret-lookup.js';
import type { ResolvedJob } from '../../config/types.js';
import type { Logger } from '../../observability/logger.js';
import type { Source } from '../../sources/source.js';
import { preparePythonReader } from './plugin.js';
import { createPythonSource } from './source.js';

export { createPythonWriter } from './writer.js';

export async function createPythonReader(
  job: ResolvedJob,
  opts: { logger?: Logger; secrets?: SecretLookup } = {},
): Promise<Source> {
  return createPythonSource(await preparePythonReader(job, opts));
}
