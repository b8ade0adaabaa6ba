/**
 * `dativo plugin test` of a Python plugin folder (`runtime: python`): the reader runs in the
 * Python sandbox with everything its manifest requests granted (as for any plugin under test),
 * and its batches are checked against the stream's contract by the same loop as every reader.
 */
import type { SecretLookup } from '../config/secret-lookup.js';
import { DativoError } from '../errors.js';
import { grantInputFiles } from '../plugins/input-files.js';
import { loadPluginManifest } from '../plugins/manifest.js';
import { preparePythonManifestPlugin } from '../plugins/python/manifest-plugin.js';
import { createPythonSource } from '../plugins/python/source.js';
import { type ReadCheckOptions, readAndCheck } from './reader-check.js';
import type { SchemaMismatch } from './schema-check.js';

export interface PythonTestInput {
  config: Record<string, unknown>;
  stream?: string | undefined;
  /** Input files for a reader with `capabilities.files` (absolute paths). */
  filePaths: string[];
  secrets: SecretLookup;
  read: ReadCheckOptions;
}

export async function testPythonReader<
  R extends { batches: number; rows: number; files?: string[]; mismatch?: SchemaMismatch },
>(dir: string, t: PythonTestInput, report: R): Promise<R> {
  const loaded = loadPluginManifest(dir, 'reader');
  const { manifest } = loaded;
  if (manifest.role !== 'reader') {
    throw new DativoError(
      'CONFIG_INVALID',
      `plugin ${manifest.name}: runtime: python plugins are readers (role: reader); a Python writer is named by a job's target.custom_writer`,
      { location: { plugin: manifest.name, keyPath: 'role' } },
    );
  }
  const { logger } = t.read;
  const files = manifest.capabilities.files
    ? await grantInputFiles(
        manifest,
        t.filePaths.map((p) => ({ path: p })),
        logger,
      )
    : undefined;
  if (files) report.files = files.map((f) => f.name);
  const plugin = preparePythonManifestPlugin(loaded, {
    config: t.config,
    // The author's own check: allow what the manifest asks (host maxima still apply).
    allow: { hosts: manifest.capabilities.network?.hosts ?? [], secrets: manifest.capabilities.secrets },
    secrets: t.secrets,
    logger,
    ...(files ? { files } : {}),
    ...(t.stream ? { stream: t.stream } : {}),
  });
  return readAndCheck(createPythonSource(plugin), t.read, report);
}
