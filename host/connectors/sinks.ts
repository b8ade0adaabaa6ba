/**
 * Every target a job can name, as adapter rows: selected by `target.type`, or the writer-plugin row
 * by `plugin:`/`custom_writer`. The implementation is imported inside `open`, `location` and `check`.
 */
import { access, constants, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedJob } from '../config/types.js';
import type { CheckResult } from '../sources/source.js';
import type { SinkAdapter } from './adapter.js';
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
  };
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
    // The plugin writes bytes; the host publishes them under the target's folder, atomically.
    name: 'extism',
    kind: 'sink',
    selectedBy: 'plugin',
    configSchema: passThrough,
    capabilities: { check: true, tables: false, fullRefresh: false },
    async open({ job, runId, logger }) {
      const [plugins, { createPluginOutputSink }, { createLocalStore }, { localTargetRoot }, tracing] =
        await Promise.all([
          import('../plugins/index.js'),
          import('../sinks/plugin-outputs.js'),
          import('../sinks/store/local.js'),
          import('../sinks/local/index.js'),
          import('../observability/tracing.js'),
        ]);
      const plugin = await plugins.createPluginSink(
        job,
        undefined,
        { runId },
        { hooks: tracing.pluginCallHooks, ...(logger ? { logger } : {}) },
      );
      const c = job.contract;
      return createPluginOutputSink({
        plugin,
        store: createLocalStore(localTargetRoot(job)),
        layout: { domain: c.domain, dataProduct: c.dataProduct, assetName: c.name },
      });
    },
    location: async (job) => localPath(job),
    check: checkLocalTarget,
  },
];
