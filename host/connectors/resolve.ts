/**
 * The one place that decides which adapter serves a job. Everything valid but not served fails
 * here with NOT_IMPLEMENTED, pointing at the job key that asked for it; `validate` resolves too,
 * so it never promises a run that cannot start. Config only, no I/O, no implementation loaded.
 */
import type { ResolvedJob } from '../config/types.js';
import { DativoError } from '../errors.js';
import { type KvLayout, type KvStorageConfig, kvLayout } from '../sources/markdown-kv/layout.js';
import type { SinkAdapter, SourceAdapter } from './adapter.js';
import { refusedPlugin } from './refusals.js';
import { SINK_ADAPTERS } from './sinks.js';
import { SOURCE_ADAPTERS } from './sources.js';

/**
 * Sources the original always read natively, whatever engine their recipe names (its Postgres and
 * MySQL recipes default to Meltano, which it ignored). Their jobs keep working unchanged; a job
 * that names an engine itself gets that engine.
 */
const NATIVE_UNLESS_JOB_SAYS = new Set(['postgres', 'mysql']);

function notImplemented(job: ResolvedJob, what: string, keyPath: string): DativoError {
  return new DativoError(
    'NOT_IMPLEMENTED',
    `${what} is valid but not implemented in this version of Dativo`,
    {
      location: job.locate(keyPath),
    },
  );
}

function row<A extends SourceAdapter | SinkAdapter>(
  table: readonly A[],
  selectedBy: A['selectedBy'],
  name: string,
): A | undefined {
  return table.find((a) => a.selectedBy === selectedBy && a.name === name);
}

/** `file.py:Class` runs in the Python runtime; everything else is a WebAssembly plugin. */
function pluginRuntime(ref: string | undefined): 'python' | 'extism' {
  return ref && /\.py(:[A-Za-z_][A-Za-z0-9_]*)?$/i.test(ref) ? 'python' : 'extism';
}

/** True when the job's source or target is a plugin; a refused plugin kind throws. */
function usesPlugin(
  job: ResolvedJob,
  block: ResolvedJob['source'] | ResolvedJob['target'],
  ref: string | undefined,
  keyPath: string,
): boolean {
  // A plugin by name (installed, dativo.lock) resolves when it is opened (host/marketplace/verify.ts).
  if (block.plugin) return true;
  if (!ref) return false;
  const refused = refusedPlugin(ref, job.locate(keyPath));
  if (refused) throw refused;
  return true;
}

/** The layout `target.markdown_kv_storage` asks for, or undefined when the job has none. */
function markdownKvLayout(job: ResolvedJob): KvLayout | undefined {
  const storage = job.target.config.markdown_kv_storage as KvStorageConfig | undefined;
  return storage === undefined ? undefined : kvLayout(storage);
}

/**
 * Markdown-KV storage turns the source's rows into the rows the contract describes (documents,
 * key/value lines), so it wraps the source; `raw_file` passes rows through, as the original did.
 */
function withKvStorage(job: ResolvedJob, adapter: SourceAdapter): SourceAdapter {
  const layout = markdownKvLayout(job);
  if (layout === undefined || layout === 'raw_file' || layout === 'hybrid') return adapter;
  return {
    ...adapter,
    async open(ctx, config) {
      const { withMarkdownKvStorage } = await import('../sources/markdown-kv/storage.js');
      return withMarkdownKvStorage(await adapter.open(ctx, config), layout);
    },
  };
}

export function resolveSource(job: ResolvedJob): SourceAdapter {
  return withKvStorage(job, chooseSource(job));
}

function chooseSource(job: ResolvedJob): SourceAdapter {
  const { source } = job;
  if (usesPlugin(job, source, source.customReader, 'source.custom_reader'))
    return row(SOURCE_ADAPTERS, 'plugin', pluginRuntime(source.plugin?.path ?? source.customReader))!;
  const nativeByDefault = NATIVE_UNLESS_JOB_SAYS.has(source.type) && source.engineExplicit !== true;
  const engine = nativeByDefault ? undefined : row(SOURCE_ADAPTERS, 'engine', source.engine);
  if (engine) return engine;
  const connector = row(SOURCE_ADAPTERS, 'connector', source.type);
  if (!connector) throw notImplemented(job, `source connector "${source.type}"`, 'source_connector_path');
  if (source.engine !== 'native' && !nativeByDefault)
    throw notImplemented(job, `engine "${source.engine}" for ${source.type}`, 'source');
  return connector;
}

export function resolveSink(job: ResolvedJob): SinkAdapter {
  const { target } = job;
  if (usesPlugin(job, target, target.customWriter, 'target.custom_writer')) {
    const out = row(SINK_ADAPTERS, 'connector', target.type);
    // A Python custom writer writes files by design (the original's BaseWriter): a table target is
    // a wrong job, not a missing feature, so it is refused outright (validate exits 2).
    if (pluginRuntime(target.customWriter) === 'python' && !out?.openStore)
      throw new DativoError(
        'CONFIG_INVALID',
        `a Python custom_writer writes files, and target "${target.type}" is not a file target; use local, s3 or minio`,
        { location: job.locate('target.custom_writer') },
      );
    // A writer plugin produces files: the host commits them to a file target, or reads them (as
    // Parquet, checked against the contract) into an Iceberg table (sinks/iceberg/plugin-sink.ts).
    if (!out?.openStore && !out?.openTable)
      throw notImplemented(job, `a writer plugin with target "${target.type}"`, 'target_connector_path');
    return row(SINK_ADAPTERS, 'plugin', pluginRuntime(target.customWriter))!;
  }
  const connector = row(SINK_ADAPTERS, 'connector', target.type);
  if (!connector) throw notImplemented(job, `target connector "${target.type}"`, 'target_connector_path');
  if (target.fileFormat !== 'parquet')
    throw notImplemented(job, `file_format "${target.fileFormat}"`, 'target');
  if (markdownKvLayout(job) === 'hybrid')
    throw notImplemented(
      job,
      'markdown_kv_storage structured_pattern "hybrid" (the original refused it too; run one job per pattern)',
      'target.markdown_kv_storage.structured_pattern',
    );
  return connector;
}

/** Both adapters of a job, or the first reason this build cannot run it. */
export function resolveJob(job: ResolvedJob): { source: SourceAdapter; sink: SinkAdapter } {
  // Plugin refusals of either side come first: they are the most specific answer.
  usesPlugin(job, job.source, job.source.customReader, 'source.custom_reader');
  usesPlugin(job, job.target, job.target.customWriter, 'target.custom_writer');
  const both = { source: resolveSource(job), sink: resolveSink(job) };
  // Row-level deletes and the replication position need a table format: CDC writes Iceberg only.
  if (job.source.type === 'postgres_cdc' && !both.sink.capabilities.tables) {
    throw new DativoError(
      'CONFIG_INVALID',
      `source type postgres_cdc writes to an Iceberg target only (target type is ${job.target.type})`,
      { location: job.locate('target_connector_path') },
    );
  }
  return both;
}
