/**
 * Which Source and Sink serve a job. The one place that knows which connectors, engines and
 * features exist today; everything valid but not built fails here with NOT_IMPLEMENTED, pointing
 * at the job key that asked for it. `validate` calls `assertImplemented` too, so it never
 * promises a run that cannot start.
 *
 * Connector modules are imported when a job needs one, not up front: together they pull in the AWS
 * SDK, dockerode, the database drivers and the plugin host, which would add most of a second to
 * every command's start.
 */
import path from 'node:path';
import type { ResolvedJob } from '../config/types.js';
import { ENGINES } from '../engines/names.js';
import { DativoError, type Location } from '../errors.js';
import type { TableLayout } from '../sinks/layout.js';
import type { Sink } from '../sinks/sink.js';

const SOURCES = new Set(['csv', 'postgres', 'mysql', 'stripe', 'hubspot']);
/**
 * Sources the original always read natively, whatever engine their recipe names (its Postgres and
 * MySQL recipes default to Meltano, which it ignored). Their jobs keep working unchanged; a job
 * that names an engine itself gets that engine.
 */
const NATIVE_UNLESS_JOB_SAYS = new Set(['postgres', 'mysql']);

import type { Source } from '../sources/source.js';

const OBJECT_STORE_TARGETS = new Set(['s3', 'minio']);
const TARGETS = new Set(['local', 'iceberg', ...OBJECT_STORE_TARGETS]);

function notImplemented(job: ResolvedJob, what: string, keyPath: string): DativoError {
  return new DativoError(
    'NOT_IMPLEMENTED',
    `${what} is valid but not implemented in this version of Dativo`,
    {
      location: job.locate(keyPath),
    },
  );
}

/**
 * Plugins this build refuses before anything else is loaded: native code for good (it cannot be
 * sandboxed), Python until its runtime exists. Undefined for a plugin the host may run.
 */
export function refusedPlugin(ref: string, location: Location): DativoError | undefined {
  const file = ref.split(':')[0] ?? ref;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.so' || ext === '.dylib' || ext === '.dll') {
    return new DativoError(
      'PLUGIN_DENIED',
      `native plugin ${file} refused: native code cannot be sandboxed. Compile the plugin to WebAssembly ` +
        'and point the job at the .wasm file or plugin directory',
      { location },
    );
  }
  if (ext === '.py') {
    return new DativoError(
      'NOT_IMPLEMENTED',
      `Python plugin ${file} needs the Python plugin runtime, which is not implemented in this version of Dativo`,
      { location },
    );
  }
  return undefined;
}

/** The job's reader plugin (WebAssembly), if its source is one; refused kinds throw. */
function readerPlugin(job: ResolvedJob): boolean {
  if (job.source.plugin) return true;
  if (!job.source.customReader) return false;
  const refused = refusedPlugin(job.source.customReader, job.locate('source.custom_reader'));
  if (refused) throw refused;
  return true;
}

export function writerPlugin(job: ResolvedJob): boolean {
  if (job.target.plugin) return true;
  if (!job.target.customWriter) return false;
  const refused = refusedPlugin(job.target.customWriter, job.locate('target.custom_writer'));
  if (refused) throw refused;
  return true;
}

function nativeByDefault(job: ResolvedJob): boolean {
  return NATIVE_UNLESS_JOB_SAYS.has(job.source.type) && job.source.engineExplicit !== true;
}

/** True when an external engine (Airbyte, Singer, Meltano) runs this job's source. */
function usesEngine(job: ResolvedJob): boolean {
  return ENGINES.has(job.source.engine) && !nativeByDefault(job);
}

/** Throws the first reason this job cannot run in this build. Config only, no I/O. */
export function assertImplemented(job: ResolvedJob): void {
  const { source, target } = job;
  if (job.source.plugin?.name && !job.source.plugin.path)
    throw notImplemented(job, 'plugins by name', 'source.plugin.name');
  if (job.target.plugin?.name && !job.target.plugin.path)
    throw notImplemented(job, 'plugins by name', 'target.plugin.name');
  const pluginReader = readerPlugin(job);
  const pluginWriter = writerPlugin(job);
  const engineSource = !pluginReader && usesEngine(job);
  if (!pluginReader && !engineSource && !SOURCES.has(source.type))
    throw notImplemented(job, `source connector "${source.type}"`, 'source_connector_path');
  if (!pluginReader && !engineSource && source.engine !== 'native' && !nativeByDefault(job))
    throw notImplemented(job, `engine "${source.engine}" for ${source.type}`, 'source');
  if (pluginWriter) return;
  if (!TARGETS.has(target.type))
    throw notImplemented(job, `target connector "${target.type}"`, 'target_connector_path');
  if (target.fileFormat !== 'parquet')
    throw notImplemented(job, `file_format "${target.fileFormat}"`, 'target');
  if (target.config.markdown_kv_storage !== undefined) {
    throw notImplemented(job, 'markdown_kv storage', 'target.markdown_kv_storage');
  }
}

export async function createSource(job: ResolvedJob, batchSize: number): Promise<Source> {
  if (readerPlugin(job)) return (await import('../plugins/index.js')).createPluginSource(job);
  if (usesEngine(job)) return (await import('../engines/index.js')).createEngineSource(job, batchSize);
  const { source, contract } = job;
  if (source.type === 'postgres')
    return (await import('../sources/postgres/index.js')).createPostgresSource(source, { batchSize });
  if (source.type === 'mysql')
    return (await import('../sources/mysql/index.js')).createMysqlSource(source, { batchSize });
  if (source.type === 'stripe') {
    const { createStripeSource } = await import('../sources/api/stripe.js');
    return createStripeSource(source, contract.fields, contract.object, { batchSize });
  }
  if (source.type === 'hubspot') {
    const { createHubspotSource } = await import('../sources/api/hubspot.js');
    return createHubspotSource(source, contract.fields, contract.object, { batchSize });
  }
  const { createCsvSource } = await import('../sources/csv/index.js');
  return createCsvSource(source, { columnNames: contract.fields.map((f) => f.name), batchSize });
}

export interface SinkSettings {
  runId: string;
  kvMetadata: Record<string, string>;
}

export async function createSink(job: ResolvedJob, settings: SinkSettings): Promise<Sink> {
  if (writerPlugin(job)) {
    // The plugin writes bytes; the host publishes them under the target's folder, atomically.
    const [{ createPluginSink }, { createPluginOutputSink }, { createLocalStore }, { localTargetRoot }] =
      await Promise.all([
        import('../plugins/index.js'),
        import('../sinks/plugin-outputs.js'),
        import('../sinks/store/local.js'),
        import('../sinks/local/index.js'),
      ]);
    const plugin = await createPluginSink(job, undefined, { runId: settings.runId });
    return createPluginOutputSink({
      plugin,
      store: createLocalStore(localTargetRoot(job)),
      layout: layoutOf(job),
    });
  }
  if (OBJECT_STORE_TARGETS.has(job.target.type))
    return (await import('../sinks/s3/index.js')).createS3Sink(job, settings);
  if (job.target.type === 'iceberg')
    return (await import('../sinks/iceberg/index.js')).createIcebergSink(job, settings);
  return (await import('../sinks/local/index.js')).createLocalSink(job, settings);
}

/** Where a target writes, for reports (never includes credentials). */
export async function targetLocation(job: ResolvedJob): Promise<string | undefined> {
  if (OBJECT_STORE_TARGETS.has(job.target.type))
    return (await import('../sinks/s3/index.js')).s3TargetLocation(job);
  if (job.target.type === 'iceberg')
    return (await import('../sinks/iceberg/index.js')).icebergTargetLocation(job);
  const p = job.target.connection.path;
  return typeof p === 'string' ? p : undefined;
}

function layoutOf(job: ResolvedJob): TableLayout {
  return { domain: job.contract.domain, dataProduct: job.contract.dataProduct, assetName: job.contract.name };
}
