/**
 * A Python plugin folder (`dativo-plugin.yaml` with `runtime: python`, as `plugin init --lang
 * python` writes it) as a startable `PythonPlugin`, for `plugin test`: the entry file verified
 * against the manifest's sha256, the grant computed from what the manifest requests (and what the
 * caller allows), the class the manifest names opened with the given config. A job names the
 * file and class itself (`source.plugin.path: plugin.py:Class`, host/plugins/python/plugin.ts).
 */
import path from 'node:path';
import type { SecretLookup } from '../../config/secret-lookup.js';
import type { PluginRef } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { GrantedFile } from '../input-files.js';
import { type LoadedPlugin, readVerifiedEntry } from '../manifest.js';
import { computeGrant } from '../policy.js';
import { PLUGIN_DIR, type PythonPlugin, startInstance } from './plugin.js';

export interface ManifestPluginOptions {
  config: Record<string, unknown>;
  allow: PluginRef['allow'];
  /** Input files already granted (a reader with `capabilities.files`). */
  files?: GrantedFile[];
  secrets?: SecretLookup;
  logger?: Logger;
  stream?: string;
}

export function preparePythonManifestPlugin(loaded: LoadedPlugin, opts: ManifestPluginOptions): PythonPlugin {
  const { manifest, entryPath } = loaded;
  const className = manifest.entry.class;
  if (!className) {
    throw new DativoError(
      'CONFIG_INVALID',
      `plugin ${manifest.name}: entry.class is missing: name the reader class of ${manifest.entry.file} (runtime: python)`,
      { location: { plugin: manifest.name, file: loaded.manifestPath, keyPath: 'entry.class' } },
    );
  }
  // The file that runs is the file that was built (its sha256 is in the manifest).
  readVerifiedEntry(loaded);
  const grant = computeGrant(manifest, opts.allow, undefined, opts.logger);
  if (opts.files) grant.files = opts.files;
  const pluginPath = `${PLUGIN_DIR}/${path.basename(entryPath)}`;
  const files = [
    { host: entryPath, python: pluginPath },
    ...(grant.files ?? []).map((f) => ({ host: f.path, python: f.path })),
  ];
  const config = { ...opts.config, files: (grant.files ?? []).map((f) => ({ path: f.path })) };
  return {
    grant,
    openArgs: { module: pluginPath, class: className, config },
    ...(opts.stream ? { stream: opts.stream } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    start: (logger) =>
      startInstance(grant, files, {
        ...(opts.secrets ? { secrets: opts.secrets } : {}),
        logger: logger ?? opts.logger,
      }),
  };
}
