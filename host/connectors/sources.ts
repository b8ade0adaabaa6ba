/**
 * Every source a job can name, as adapter rows. A connector row is selected by `source.type`, an
 * engine row by the engine the job resolves to, the plugin row by `plugin:`/`custom_reader`.
 * The implementation is imported inside `open` (see adapter.ts).
 */
import type { ResolvedJob } from '../config/types.js';
import { DativoError } from '../errors.js';
import type { Source } from '../sources/source.js';
import type { SourceAdapter } from './adapter.js';
import { apiConnection, databaseConnection, noConnection, passThrough } from './schemas.js';

const FULL = { check: true, discover: true, incremental: true } as const;

type EngineFactory = (job: ResolvedJob, batchSize: number) => Source;

/** An engine row: the engine reads the job's source block itself; its module loads on open. */
function engineSource(name: string, load: () => Promise<EngineFactory>): SourceAdapter {
  return {
    name,
    kind: 'source',
    selectedBy: 'engine',
    configSchema: passThrough,
    capabilities: FULL,
    async open({ job, batchSize }) {
      return (await load())(job, batchSize);
    },
  };
}

export const SOURCE_ADAPTERS: readonly SourceAdapter[] = [
  {
    name: 'csv',
    kind: 'source',
    selectedBy: 'connector',
    configSchema: noConnection,
    capabilities: FULL,
    async open({ job, batchSize }, config) {
      const { createCsvSource } = await import('../sources/csv/index.js');
      return createCsvSource(config, { columnNames: job.contract.fields.map((f) => f.name), batchSize });
    },
  },
  {
    name: 'markdown_kv',
    kind: 'source',
    selectedBy: 'connector',
    configSchema: noConnection,
    capabilities: FULL,
    async open(_ctx, config) {
      return (await import('../sources/markdown-kv/index.js')).createMarkdownKvSource(config);
    },
  },
  {
    name: 'postgres',
    kind: 'source',
    selectedBy: 'connector',
    configSchema: databaseConnection,
    capabilities: FULL,
    async open({ batchSize }, config) {
      return (await import('../sources/postgres/index.js')).createPostgresSource(config, { batchSize });
    },
  },
  {
    // Change data capture runs through runJob's CDC path (pipeline/run-cdc.ts), never as a Source.
    name: 'postgres_cdc',
    kind: 'source',
    selectedBy: 'connector',
    configSchema: databaseConnection,
    capabilities: { check: false, discover: false, incremental: false },
    async open() {
      throw new DativoError(
        'INTERNAL',
        'postgres_cdc is run by the CDC path of runJob, not opened as a source',
      );
    },
  },
  {
    name: 'mysql',
    kind: 'source',
    selectedBy: 'connector',
    configSchema: databaseConnection,
    capabilities: FULL,
    async open({ batchSize }, config) {
      return (await import('../sources/mysql/index.js')).createMysqlSource(config, { batchSize });
    },
  },
  {
    name: 'stripe',
    kind: 'source',
    selectedBy: 'connector',
    configSchema: apiConnection,
    capabilities: FULL,
    async open({ job, batchSize }, config) {
      const { createStripeSource } = await import('../sources/api/stripe.js');
      return createStripeSource(config, job.contract.fields, job.contract.object, { batchSize });
    },
  },
  {
    name: 'hubspot',
    kind: 'source',
    selectedBy: 'connector',
    configSchema: apiConnection,
    capabilities: FULL,
    async open({ job, batchSize }, config) {
      const { createHubspotSource } = await import('../sources/api/hubspot.js');
      return createHubspotSource(config, job.contract.fields, job.contract.object, { batchSize });
    },
  },
  {
    name: 'extism',
    kind: 'source',
    selectedBy: 'plugin',
    configSchema: passThrough,
    capabilities: FULL,
    async open({ job, logger }) {
      const [{ createPluginSource }, { pluginCallHooks }] = await Promise.all([
        import('../plugins/index.js'),
        import('../observability/tracing.js'),
      ]);
      // The grant is audited as it is computed, before the Source's open() hands over the run's logger.
      return createPluginSource(job, undefined, { hooks: pluginCallHooks, ...(logger ? { logger } : {}) });
    },
  },
  {
    name: 'python',
    kind: 'source',
    selectedBy: 'plugin',
    configSchema: passThrough,
    capabilities: FULL,
    async open({ job, logger }) {
      const { createPythonReader } = await import('../plugins/python/index.js');
      return createPythonReader(job, logger ? { logger } : {});
    },
  },
  engineSource('airbyte', async () => (await import('../engines/airbyte/index.js')).createAirbyteSource),
  engineSource('singer', async () => (await import('../engines/singer/index.js')).createSingerSource),
  engineSource('meltano', async () => (await import('../engines/meltano/index.js')).createMeltanoSource),
];
