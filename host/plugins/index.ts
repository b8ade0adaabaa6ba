/**
 * The plugin host's public surface. The pipeline asks for a Source or a Sink; which runtime runs
 * the plugin (only Extism in this version) is decided from its manifest.
 */

import type { SecretLookup } from '../config/secret-lookup.js';
import { staticSecrets } from '../config/secret-lookup.js';
import type { PluginRef, ResolvedJob } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import type { Source } from '../sources/source.js';
import { checkConfigReferences } from './config-grant.js';
import { type PluginCallHooks, startWorkerEarly } from './extism/instance.js';
import { createExtismSink, type PluginSink } from './extism/sink.js';
import { createExtismSource } from './extism/source.js';
import { grantInputFiles } from './input-files.js';
import { type PreparedPlugin, pluginConfigFrom, pluginRefOf, preparePlugin } from './load.js';

export interface PluginFactoryOptions {
  /** Where granted secrets come from; default: the job's resolved credentials. */
  secrets?: SecretLookup;
  /** Used for audit lines and plugin logs before open() hands over the run's logger. */
  logger?: Logger;
  fetch?: typeof fetch;
  /** Observation of every plugin call (the pipeline passes tracing and metrics here). */
  hooks?: PluginCallHooks;
}

export interface PluginSinkSettings {
  runId?: string;
  /** Publish committed outputs here (default: they stay staged; see PluginSink.outputs()). */
  publishDir?: string;
}

function streamOf(job: ResolvedJob): string | undefined {
  return job.source.objects[0] ?? job.contract?.name ?? undefined;
}

/**
 * A Source for the job's reader plugin: `ref` defaults to `job.source.plugin`, then
 * `job.source.customReader` (a path; nothing is allowed to it beyond the defaults).
 */
export async function createPluginSource(
  job: ResolvedJob,
  ref?: PluginRef | string,
  opts: PluginFactoryOptions = {},
): Promise<Source> {
  const { path, allow } = pluginRefOf(job, 'reader', ref);
  // Booting the plugin's Worker overlaps the checks below (it gets the module only after them).
  let early: ReturnType<typeof startWorkerEarly> | undefined = startWorkerEarly();
  let prepared: PreparedPlugin;
  try {
    prepared = preparePlugin(path, {
      role: 'reader',
      allow,
      sandbox: job.sandbox,
      config: pluginConfigFrom(job.source.config),
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    checkConfigReferences(job, 'reader', prepared.grant, opts.logger);
    // The file capability: the job's source.files (globs expanded here), by logical name only.
    if (prepared.runtime) {
      // A component: its own worker file, booting while the world is checked and cores compile.
      void early.worker.terminate();
      early = startWorkerEarly(prepared.runtime);
      await prepared.runtime.check();
    }
    prepared.grant.files = await grantInputFiles(
      prepared.loaded.manifest,
      job.source.files ?? [],
      opts.logger,
    );
  } catch (e) {
    await early?.worker.terminate();
    throw e;
  }
  if (prepared.grant.files.length > 0) {
    // The plugin knows its files by logical name; the host paths stay here.
    const config = JSON.parse(prepared.config) as Record<string, unknown>;
    config.files = prepared.grant.files.map((f) => f.name);
    prepared.config = JSON.stringify(config);
  }
  const stream = streamOf(job);
  return createExtismSource({
    prepared,
    ...(early ? { early } : {}),
    secrets: opts.secrets ?? staticSecrets(job.source.credentials),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.hooks ? { hooks: opts.hooks } : {}),
    ...(stream ? { stream } : {}),
  });
}

/** A Sink for the job's writer plugin: `ref` defaults to `job.target.plugin`, then `job.target.customWriter`. */
export async function createPluginSink(
  job: ResolvedJob,
  ref?: PluginRef | string,
  settings: PluginSinkSettings = {},
  opts: PluginFactoryOptions = {},
): Promise<PluginSink> {
  const { path, allow } = pluginRefOf(job, 'writer', ref);
  const prepared = preparePlugin(path, {
    role: 'writer',
    allow,
    sandbox: job.sandbox,
    config: pluginConfigFrom(job.target.config, 'writer'),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  checkConfigReferences(job, 'writer', prepared.grant, opts.logger);
  await prepared.runtime?.check();
  const stream = streamOf(job);
  return createExtismSink({
    prepared,
    secrets: opts.secrets ?? staticSecrets(job.source.credentials),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.hooks ? { hooks: opts.hooks } : {}),
    ...(stream ? { stream } : {}),
    ...(settings.publishDir ? { publishDir: settings.publishDir } : {}),
  });
}

export { ExtismInstance, type PluginCallHooks } from './extism/instance.js';
export type { PluginOutputFile, PluginSink } from './extism/sink.js';
export { createHttpClient, type HttpClientOptions, type HttpOutcome } from './http-policy.js';
export { type GrantedFile, grantInputFiles, logicalNames, MAX_INPUT_READ } from './input-files.js';
export { decodeIpcBatch, encodeIpcBatch, IpcFramingError, validateIpcBatch } from './ipc-frame.js';
export {
  type OpenPluginOptions,
  openPlugin,
  type PreparedPlugin,
  pluginConfigFrom,
  preparePlugin,
} from './load.js';
export {
  HOST_ABI,
  loadPluginManifest,
  MANIFEST_FILE,
  type PluginManifest,
  parseManifest,
} from './manifest.js';
export { checkModule, computeGrant, type Denial, type Grant } from './policy.js';
