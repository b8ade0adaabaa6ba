/**
 * From a job's plugin reference to a running, sandboxed instance, in the order that keeps an
 * untrusted file from doing anything before it is checked: manifest → runtime/role → grant →
 * sha256 → module bytes (ABI section, imports, memory maximum) → config schema → instantiate.
 */

import path from 'node:path';
import type { SecretLookup } from '../config/secret-lookup.js';
import type { InputFile, PluginRef, ResolvedJob, SandboxLimits } from '../config/types.js';
import { DativoError } from '../errors.js';
import { resolveInstalledPlugin } from '../marketplace/verify.js';
import type { Logger } from '../observability/logger.js';
import { checkAbiSupport } from './abi-support.js';
import { componentRuntime } from './component/instance.js';
import {
  DATIVO_IMPORTS,
  DATIVO_NAMESPACE,
  KERNEL_IMPORTS,
  KERNEL_NAMESPACE,
} from './extism/host-functions.js';
import { ExtismInstance, startWorkerEarly, type WorkerRuntime } from './extism/instance.js';

export { pluginConfigFrom } from './config-grant.js';

import { grantInputFiles } from './input-files.js';
import {
  type LoadedPlugin,
  loadPluginManifest,
  readVerifiedEntry,
  validatePluginConfig,
} from './manifest.js';
import { checkModule, computeGrant, type Grant } from './policy.js';

export type PluginRole = 'reader' | 'writer';

/** The exports each role must have (names of the Extism flattening, wit/README.md). */
export const REQUIRED_EXPORTS: Record<PluginRole, string[]> = {
  reader: ['next_batch'],
  writer: ['write_batch', 'commit'],
};

export interface OpenPluginOptions {
  role: PluginRole;
  allow?: PluginRef['allow'];
  sandbox?: SandboxLimits | undefined;
  /** The plugin's config (JSON-able); credential-like keys must already be removed. */
  config?: unknown;
  state?: Record<string, string>;
  secrets?: SecretLookup;
  logger?: Logger;
  outputDir?: string;
  fetch?: typeof fetch;
  /** Tests of hostile modules skip the role's export check. */
  requiredExports?: string[];
  /** Readers: the job's `source.files`, granted when the manifest requests `capabilities.files`. */
  files?: InputFile[];
}

export interface PreparedPlugin {
  loaded: LoadedPlugin;
  grant: Grant;
  wasm: Uint8Array;
  config: string;
  /** Set for a WebAssembly component (host/plugins/component); absent = an Extism module. */
  runtime?: WorkerRuntime & { check(): Promise<unknown> };
}

/** The layer a wasm header announces: core module (Extism) or component. */
export function wasmLayer(bytes: Uint8Array): 'module' | 'component' | undefined {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d)
    return undefined;
  if (bytes[4] === 1 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0) return 'module';
  return bytes[6] === 1 && bytes[7] === 0 ? 'component' : undefined;
}

const RUNTIME_OF_LAYER = { module: 'extism', component: 'component' } as const;

/** The wasm header decides the runtime; a manifest naming the other one is refused. */
function checkLayer(loaded: LoadedPlugin, wasm: Uint8Array): void {
  const { manifest } = loaded;
  const layer = wasmLayer(wasm);
  if (!layer || RUNTIME_OF_LAYER[layer] === manifest.runtime) return;
  throw new DativoError(
    'CONFIG_INVALID',
    `plugin ${manifest.name}: ${manifest.entry.file} is a WebAssembly ${layer === 'module' ? 'core module' : 'component'}, ` +
      `but ${path.basename(loaded.manifestPath)} says runtime: ${manifest.runtime}; a ${layer === 'module' ? 'core module' : 'component'} runs with runtime: ${RUNTIME_OF_LAYER[layer]}`,
    { location: { plugin: manifest.name, file: loaded.manifestPath, keyPath: 'runtime' } },
  );
}

/** Everything short of running the module. Throws DativoError for each refusal. */
export function preparePlugin(pluginPath: string, opts: OpenPluginOptions): PreparedPlugin {
  const loaded = loadPluginManifest(pluginPath, opts.role);
  const { manifest } = loaded;
  const location = { plugin: manifest.name };
  const abi = checkAbiSupport(manifest.abi, manifest.name);
  if (abi.warning) opts.logger?.warn({ plugin: manifest.name }, abi.warning);
  if (manifest.runtime === 'deno') {
    throw new DativoError(
      'NOT_IMPLEMENTED',
      `plugin ${manifest.name}: runtime: deno is valid but not implemented: TypeScript plugins run as WebAssembly components ` +
        '(runtime: component, built with `dativo plugin build`), the decision of issue #20 (docs/typescript-plugins.md)',
      { location },
    );
  }
  if (manifest.runtime === 'python') {
    // The Python runtime opens a file and class (host/plugins/python/plugin.ts), not a folder.
    const entry = path.join(path.dirname(loaded.manifestPath), manifest.entry.file);
    throw new DativoError(
      'CONFIG_INVALID',
      `plugin ${manifest.name}: a runtime: python plugin runs by its file and class: name them in the job, ` +
        `as in source.plugin.path: ${entry}:${manifest.entry.class ?? 'ClassName'} (docs/python-plugins.md)`,
      { location },
    );
  }
  if (manifest.runtime !== 'extism' && manifest.runtime !== 'component') {
    throw new DativoError(
      'NOT_IMPLEMENTED',
      `plugin ${manifest.name}: the ${manifest.runtime} plugin runtime is valid but not implemented in this version of Dativo`,
      { location },
    );
  }
  if (manifest.role !== opts.role) {
    throw new DativoError(
      'CONFIG_INVALID',
      `plugin ${manifest.name} is a ${manifest.role}, but the job uses it as a ${opts.role}`,
      { location },
    );
  }
  const grant = computeGrant(manifest, opts.allow ?? { hosts: [], secrets: [] }, opts.sandbox, opts.logger);
  const wasm = readVerifiedEntry(loaded);
  checkLayer(loaded, wasm);
  if (manifest.runtime === 'component') {
    const config = opts.config ?? {};
    validatePluginConfig(manifest, config);
    const runtime = componentRuntime(loaded, wasm, grant, opts.logger);
    return { loaded, grant, wasm, config: JSON.stringify(config), runtime };
  }
  const info = checkModule(manifest, wasm, grant, opts.logger, {
    [KERNEL_NAMESPACE]: KERNEL_IMPORTS,
    [DATIVO_NAMESPACE]: DATIVO_IMPORTS,
  });
  const missing = (opts.requiredExports ?? REQUIRED_EXPORTS[opts.role]).filter(
    (e) => !info.exports.includes(e),
  );
  if (missing.length > 0) {
    throw new DativoError(
      'PLUGIN_ERROR',
      `plugin ${manifest.name} does not export ${missing.join(', ')} (a ${opts.role} must export ${REQUIRED_EXPORTS[opts.role].join(', ')})`,
      { location },
    );
  }
  const config = opts.config ?? {};
  validatePluginConfig(manifest, config);
  return { loaded, grant, wasm, config: JSON.stringify(config) };
}

export async function openPlugin(
  pluginPath: string,
  opts: OpenPluginOptions,
): Promise<PreparedPlugin & { instance: ExtismInstance }> {
  const prepared = preparePlugin(pluginPath, opts);
  // A component's Worker boots while its world is checked and its cores compile.
  const early = prepared.runtime ? startWorkerEarly(prepared.runtime) : undefined;
  try {
    await prepared.runtime?.check();
    if (opts.files)
      prepared.grant.files = await grantInputFiles(prepared.loaded.manifest, opts.files, opts.logger);
  } catch (e) {
    await early?.worker.terminate();
    throw e;
  }
  const instance = await ExtismInstance.start({
    wasm: prepared.wasm,
    ...(prepared.runtime ? { runtime: prepared.runtime } : {}),
    ...(early ? { early } : {}),
    grant: prepared.grant,
    config: prepared.config,
    ...(opts.state ? { state: opts.state } : {}),
    ...(opts.secrets ? { secrets: opts.secrets } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.outputDir ? { outputDir: opts.outputDir } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  return { ...prepared, instance };
}

/** Which plugin a job names for a role: `plugin` (with its allow block) or `custom_reader`/`custom_writer` (nothing allowed). */
export function pluginRefOf(
  job: ResolvedJob,
  role: PluginRole,
  ref?: PluginRef | string,
): { path: string; allow: PluginRef['allow']; keyPath: string } {
  const side = role === 'reader' ? job.source : job.target;
  const custom = role === 'reader' ? job.source.customReader : job.target.customWriter;
  const chosen = ref ?? side.plugin ?? custom;
  const keyPath = `${role === 'reader' ? 'source' : 'target'}.${typeof chosen === 'string' ? (role === 'reader' ? 'custom_reader' : 'custom_writer') : 'plugin'}`;
  if (chosen === undefined) {
    throw new DativoError('CONFIG_INVALID', `the job names no ${role} plugin`, {
      location: job.locate(keyPath),
    });
  }
  if (typeof chosen === 'string')
    return {
      path: chosen.replace(/:[A-Za-z_][A-Za-z0-9_.]*$/, ''),
      allow: { hosts: [], secrets: [] },
      keyPath,
    };
  if (!chosen.path) {
    // An installed plugin (NAME@RANGE): the folder dativo.lock names, after its files are re-hashed.
    const installed = resolveInstalledPlugin(chosen.name ?? '', path.dirname(job.file));
    return { path: installed, allow: chosen.allow, keyPath };
  }
  return { path: chosen.path, allow: chosen.allow, keyPath };
}

/** String-valued view of a SourceState for the plugin's state_get. */
export function stateForPlugin(state: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(state ?? {})) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}
