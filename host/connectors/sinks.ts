/**
 * Every target a job can name, as adapter rows: selected by `target.type`, or the writer-plugin row
 * by `plugin:`/`custom_writer`. The implementation is imported inside `open`, `location` and `check`.
 */
import { access, constants, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedJob } from '../config/types.js';
import type { PluginSink } from '../plugins/extism/sink.js';
import type { Sink } from '../sinks/sink.js';
import type { CheckResult } from '../sources/source.js';
import type { SinkAdapter, SinkContext } from './adapter.js';
import { icebergConnection, localConnection, objectStoreConnection, passThrough } from './schemas.js';

async function checkWritableDir(dir: string): Promise<CheckResult> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    return { status: 'success', message: `${dir} is writable` };
  } catch (err) {
    return {
      status: 'failed',
      message: `${dir} is not writable: ${(err as Error).message}`,
      errorCode: 'WRITE_FAILED',
    };
  }
}

function localPath(job: ResolvedJob): string | undefined {
  const p = job.target.connection.path;
  return typeof p === 'string' ? p : undefined;
}

const checkLocalTarget = (job: ResolvedJob): Promise<CheckResult> =>
  checkWritableDir(path.resolve(localPath(job) ?? 'output'));

/** s3 and minio differ only in their env fall-backs, which the S3 sink reads from `target.type`. */
function objectStoreSink(name: 's3' | 'minio'): SinkAdapter {
  return {
    name,
    kind: 'sink',
    selectedBy: 'connector',
    configSchema: objectStoreConnection,
    capabilities: { check: true, tables: false, fullRefresh: true },
    async open({ job, runId, kvMetadata }) {
      return (await import('../sinks/s3/index.js')).createS3Sink(job, { runId, kvMetadata });
    },
    async location(job) {
      return (await import('../sinks/s3/index.js')).s3TargetLocation(job);
    },
    async check(job) {
      return (await import('../sinks/s3/index.js')).checkS3Target(job);
    },
    async openStore(job) {
      return (await import('../sinks/s3/index.js')).openS3TargetStore(job);
    },
  };
}

/**
 * The target (local, s3, minio, iceberg) a writer plugin's outputs are committed to: the row its
 * `target.type` selects. resolveSink refuses every other target before a run starts.
 */
function outputTargetOf(job: ResolvedJob): SinkAdapter {
  const row = SINK_ADAPTERS.find((a) => a.selectedBy === 'connector' && a.name === job.target.type);
  if (!row?.openStore && !row?.openTable)
    throw new Error(`no file or table target "${job.target.type}" for a writer plugin`);
  return row;
}

/** The plugin's outputs staged and committed as files, or read into the Iceberg table. */
async function openPluginSink(ctx: SinkContext): Promise<Sink> {
  const { job, runId, logger } = ctx;
  const [plugins, tracing] = await Promise.all([
    import('../plugins/index.js'),
    import('../observability/tracing.js'),
  ]);
  const plugin = await plugins.createPluginSink(
    job,
    undefined,
    { runId },
    { hooks: tracing.pluginCallHooks, ...(logger ? { logger } : {}) },
  );
  const target = outputTargetOf(job);
  if (target.openTable) {
    const [{ createIcebergSink }, { createPluginIcebergSink }] = await Promise.all([
      import('../sinks/iceberg/index.js'),
      import('../sinks/iceberg/plugin-sink.js'),
    ]);
    const table = await createIcebergSink(job, ctx);
    return createPluginIcebergSink({ plugin, table, job });
  }
  return fileOutputsSink(plugin, job);
}

/** A writer's outputs (wasm or Python) staged and committed as files on the job's file target. */
async function fileOutputsSink(plugin: PluginSink, job: ResolvedJob): Promise<Sink> {
  const { openStore } = outputTargetOf(job);
  if (!openStore) throw new Error(`no file target "${job.target.type}" for a writer's outputs`);
  const { createPluginOutputSink } = await import('../sinks/plugin-outputs.js');
  const c = job.contract;
  return createPluginOutputSink({
    plugin,
    store: await openStore(job),
    layout: { domain: c.domain, dataProduct: c.dataProduct, assetName: c.name },
  });
}

export const SINK_ADAPTERS: readonly SinkAdapter[] = [
  {
    name: 'local',
    kind: 'sink',
    selectedBy: 'connector',
    configSchema: localConnection,
    capabilities: { check: true, tables: false, fullRefresh: true },
    async open({ job, kvMetadata }) {
      return (await import('../sinks/local/index.js')).createLocalSink(job, { kvMetadata });
    },
    location: async (job) => localPath(job),
    check: checkLocalTarget,
    async openStore(job) {
      const [{ createLocalStore }, { localTargetRoot }] = await Promise.all([
        import('../sinks/store/local.js'),
        import('../sinks/local/index.js'),
      ]);
      return createLocalStore(localTargetRoot(job));
    },
  },
  objectStoreSink('s3'),
  objectStoreSink('minio'),
  {
    name: 'iceberg',
    kind: 'sink',
    selectedBy: 'connector',
    configSchema: icebergConnection,
    capabilities: { check: true, tables: true, fullRefresh: false },
    async open(ctx) {
      return (await import('../sinks/iceberg/index.js')).createIcebergSink(ctx.job, ctx);
    },
    async location(job) {
      return (await import('../sinks/iceberg/index.js')).icebergTargetLocation(job);
    },
    async check(job) {
      return (await import('../sinks/iceberg/check.js')).checkIcebergTarget(job);
    },
    async openTable(job) {
      return (await import('../sinks/iceberg/target.js')).openIcebergTarget(job);
    },
  },
  {
    // The plugin writes bytes; the host commits them with the protocol every sink uses: as files
    // on a file target (local, s3, minio), or as Parquet rows into an Iceberg table.
    name: 'extism',
    kind: 'sink',
    selectedBy: 'plugin',
    configSchema: passThrough,
    capabilities: { check: true, tables: false, fullRefresh: false },
    open: openPluginSink,
    location: (job) => outputTargetOf(job).location(job),
    check: (job) => outputTargetOf(job).check(job),
  },
  {
    // An original Python custom writer: its files are published like a writer plugin's outputs.
    name: 'python',
    kind: 'sink',
    selectedBy: 'plugin',
    configSchema: passThrough,
    capabilities: { check: true, tables: false, fullRefresh: false },
    async open({ job, logger }) {
      // resolveSink refuses a Python writer on anything but a file target.
      const { createPythonWriter } = await import('../plugins/python/index.js');
      return fileOutputsSink(createPythonWriter(job, logger ? { logger } : {}), job);
    },
    location: (job) => outputTargetOf(job).location(job),
    check: (job) => outputTargetOf(job).check(job),
  },
];
