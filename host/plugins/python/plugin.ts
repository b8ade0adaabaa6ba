/**
 * From a job to a startable Python plugin: the file and class (`custom_reader: file.py:Class`, or
 * `plugin: {path: file.py:Class, allow: …}` for one that may call APIs), the grant (computed as for
 * any plugin from a manifest synthesized for the file: a plain custom_reader requests no hosts and
 * no secrets; a `plugin` requests what its `allow` names, so the job alone decides), the config the
 * class gets, and the sandbox each start builds.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SecretLookup } from '../../config/secret-lookup.js';
import { staticSecrets } from '../../config/secret-lookup.js';
import type { PluginRef, ResolvedJob } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { checkConfigReferences, pluginConfigFrom } from '../config-grant.js';
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

/**
 * `host:port` requests for the job's `allow.hosts`: an entry without a port asks for the scheme
 * ports (443 and 80), as an allow entry without a port covers any.
 */
function requestedHosts(allow: PluginRef['allow']): string[] {
  const out = new Set<string>();
  for (const entry of allow.hosts) {
    const h = entry
      .trim()
      .toLowerCase()
      .replace(/^https?:\/\//, '')
      .replace(/\/.*$/, '');
    if (!h) continue;
    if (/:\d{1,5}$/.test(h)) out.add(h);
    else for (const port of ['443', '80']) out.add(`${h}:${port}`);
  }
  return [...out];
}

export function synthesizedManifest(
  file: string,
  role: 'reader' | 'writer',
  allow: PluginRef['allow'] = { hosts: [], secrets: [] },
): PluginManifest {
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
    capabilities: {
      files: role === 'reader',
      network: { hosts: requestedHosts(allow) },
      secrets: [...allow.secrets],
    },
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
  const byPlugin = job.source.plugin?.path !== undefined;
  const keyPath = byPlugin ? 'source.plugin.path' : 'source.custom_reader';
  const { file, className } = splitEntry(
    (byPlugin ? job.source.plugin?.path : job.source.customReader) ?? '',
  );
  if (!existsSync(file) || !statSync(file).isFile())
    throw new DativoError('CONFIG_NOT_FOUND', `Python plugin ${file} does not exist`, {
      location: job.locate(keyPath),
    });
  const allow = job.source.plugin?.allow ?? { hosts: [], secrets: [] };
  const manifest = synthesizedManifest(file, 'reader', allow);
  const grant = computeGrant(manifest, allow, job.sandbox, opts.logger);
  // Before anything starts: an ungranted `${secret:…}` in the config the class gets is refused.
  checkConfigReferences(job, 'reader', grant, opts.logger);
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
    start: (logger) =>
      startInstance(grant, files, {
        secrets: opts.secrets ?? staticSecrets(job.source.credentials),
        logger: logger ?? opts.logger,
      }),
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
