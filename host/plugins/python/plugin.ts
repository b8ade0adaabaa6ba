/**
 * From a job to a startable Python plugin: the file and class (`custom_reader: file.py:Class`),
 * the grant (computed as for any plugin from a manifest synthesized for the file: no hosts, no
 * secrets, default limits, the job's `source.files` for a reader), the config the class gets, and
 * the sandbox each start builds.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SecretLookup } from '../../config/secret-lookup.js';
import type { ResolvedJob } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { pluginConfigFrom } from '../config-grant.js';
import { grantInputFiles } from '../input-files.js';
import { manifestSchema, type PluginManifest } from '../manifest.js';
import { computeGrant, type Grant } from '../policy.js';
import { runtimeAssets } from './assets.js';
import { PythonInstance } from './instance.js';
import { pythonSandbox, type SandboxFile } from './sandbox.js';

export interface PythonPlugin {
  grant: Grant;
  /** The `open` request: module path inside the sandbox, class, config. */
  openArgs: Record<string, unknown>;
  stream?: string;
  logger?: Logger;
  start(logger?: Logger): Promise<PythonInstance>;
}

/** Where Python sees the plugin file. */
export const PLUGIN_DIR = '/dativo/plugin';

export function splitEntry(ref: string): { file: string; className: string } {
  const m = /^(.*\.py):([A-Za-z_][A-Za-z0-9_]*)$/.exec(ref);
  if (!m) {
    throw new DativoError(
      'CONFIG_INVALID',
      `Python plugin ${ref}: name the class after the file, as in reader.py:MyReader`,
    );
  }
  return { file: m[1]!, className: m[2]! };
}

export function synthesizedManifest(file: string, role: 'reader' | 'writer'): PluginManifest {
  const name = path
    .basename(file, '.py')
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-')
    .replace(/^[^a-z0-9]+/, 'p');
  return manifestSchema.parse({
    name,
    version: '0.0.0',
    role,
    runtime: 'python',
    abi: '1',
    entry: {
      file: path.basename(file),
      sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
    },
    capabilities: { files: role === 'reader' },
  });
}

/** The config a reader class gets (`source_config`): the job's source block without credentials. */
function readerConfig(job: ResolvedJob, files: { path: string; object?: string }[]): Record<string, unknown> {
  const block = pluginConfigFrom(job.source.config);
  return {
    ...block,
    type: job.source.type,
    files,
    objects: job.source.objects,
    incremental: job.source.config.incremental ?? null,
    engine: job.source.config.engine ?? null,
    // Credentials stay on the host: a plugin asks for a granted secret by name.
    credentials: {},
  };
}

export async function preparePythonReader(
  job: ResolvedJob,
  opts: { logger?: Logger; secrets?: SecretLookup } = {},
): Promise<PythonPlugin> {
  const { file, className } = splitEntry(job.source.customReader ?? '');
  if (!existsSync(file) || !statSync(file).isFile())
    throw new DativoError('CONFIG_NOT_FOUND', `Python plugin ${file} does not exist`, {
      location: job.locate('source.custom_reader'),
    });
  const manifest = synthesizedManifest(file, 'reader');
  const grant = computeGrant(manifest, { hosts: [], secrets: [] }, job.sandbox, opts.logger);
  grant.files = await grantInputFiles(manifest, job.source.files ?? [], opts.logger);
  const objectOf = new Map(job.source.files.map((f) => [f.path, f.object]));
  const configFiles = grant.files.map((f) => ({
    path: f.path,
    ...(objectOf.get(f.path) ? { object: objectOf.get(f.path) } : {}),
  }));
  const pluginPath = `${PLUGIN_DIR}/${path.basename(file)}`;
  const files: SandboxFile[] = [
    { host: file, python: pluginPath },
    ...grant.files.map((f) => ({ host: f.path, python: f.path })),
  ];
  const stream = job.source.objects[0] ?? job.contract?.name;
  const plugin: PythonPlugin = {
    grant,
    openArgs: { module: pluginPath, class: className, config: readerConfig(job, configFiles) },
    ...(stream ? { stream } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    start: (logger) => startInstance(grant, files, { ...opts, logger: logger ?? opts.logger }),
  };
  return plugin;
}

export async function startInstance(
  grant: Grant,
  files: SandboxFile[],
  opts: { logger?: Logger | undefined; secrets?: SecretLookup },
): Promise<PythonInstance> {
  const assets = await runtimeAssets();
  const useSnapshot = existsSync(assets.snapshot);
  const sandbox = pythonSandbox({
    assets,
    files,
    useSnapshot,
    heapMb: Math.max(64, Math.ceil(grant.memoryBytes / 2 ** 20)),
  });
  return PythonInstance.start({
    sandbox,
    grant,
    ...(opts.secrets ? { secrets: opts.secrets } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(useSnapshot ? {} : { snapshotOut: assets.snapshot }),
  });
}
