/**
 * A plugin as an OCI artifact: the config blob is the validated `dativo-plugin.yaml` as JSON
 * (media type application/vnd.dativo.plugin.config.v1+json), and each file is one uncompressed
 * layer with its own media type and its file name in `org.opencontainers.image.title`.
 * Uncompressed layers mean there is nothing to decompress (no decompression bombs); sizes are
 * capped when reading. No timestamps: packing the same folder twice gives the same digest.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { DativoError } from '../errors.js';
import { MANIFEST_FILE, type PluginManifest, parseManifest } from '../plugins/manifest.js';
import { type Descriptor, type ImageManifest, OCI_MANIFEST, sha256Digest } from './oci-client.js';

export const MEDIA = {
  artifact: 'application/vnd.dativo.plugin.v1',
  config: 'application/vnd.dativo.plugin.config.v1+json',
  manifestFile: 'application/vnd.dativo.plugin.manifest.v1+yaml',
  module: 'application/vnd.dativo.plugin.module.v1+wasm',
  readme: 'text/markdown',
  signature: 'application/vnd.dativo.plugin.signature.v1+minisig',
  signatureArtifact: 'application/vnd.dativo.plugin.signature.v1',
  yank: 'application/vnd.dativo.plugin.yank.v1+json',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

export const TITLE = 'org.opencontainers.image.title';
/** A plugin module may be large, but not unboundedly: every layer read stops here. */
export const MAX_LAYER_BYTES = 256 * 1024 * 1024;
/** A bare file name: no folders, no "..", nothing a path join could turn into an escape. */
const SAFE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface ArtifactFile {
  name: string;
  mediaType: string;
  bytes: Buffer;
}

export interface PluginArtifact {
  plugin: PluginManifest;
  config: Buffer;
  files: ArtifactFile[];
  manifestBytes: Buffer;
  digest: string;
}

export function assertSafeFileName(name: string, plugin: string): void {
  if (!SAFE_FILE_NAME.test(name) || name.includes('..')) {
    throw new DativoError(
      'PLUGIN_DENIED',
      `plugin ${plugin}: file name "${name}" is not a plain file name (letters, digits, ".", "_", "-"; no folders)`,
      { location: { plugin } },
    );
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The config blob: the manifest with its defaults filled in, as canonical JSON. */
export function configBytes(plugin: PluginManifest): Buffer {
  return Buffer.from(JSON.stringify(plugin));
}

/** `dativo plugin pack DIR`: read and check the plugin folder, and lay it out as an artifact. */
export function packDir(dir: string): PluginArtifact {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    throw new DativoError('CONFIG_NOT_FOUND', `${dir} has no ${MANIFEST_FILE}; run dativo plugin init first`);
  }
  const manifestText = readFileSync(manifestPath);
  const plugin = parseManifest(manifestText.toString('utf8'), manifestPath);
  if (!semver.valid(plugin.version) || plugin.version.includes('+')) {
    throw new DativoError(
      'CONFIG_INVALID',
      `${manifestPath}: version "${plugin.version}" is not a semantic version (MAJOR.MINOR.PATCH[-pre], no +build: registry tags cannot hold "+")`,
      { location: { file: manifestPath, keyPath: 'version' } },
    );
  }
  assertSafeFileName(plugin.entry.file, plugin.name);
  const entryPath = path.join(dir, plugin.entry.file);
  if (!existsSync(entryPath)) {
    throw new DativoError(
      'CONFIG_NOT_FOUND',
      `${manifestPath}: entry file ${plugin.entry.file} does not exist (build the plugin first)`,
      {
        location: { file: manifestPath, keyPath: 'entry.file' },
      },
    );
  }
  const module = readFileSync(entryPath);
  if (sha256Hex(module) !== plugin.entry.sha256.toLowerCase()) {
    throw new DativoError(
      'CONFIG_INVALID',
      `${manifestPath}: entry.sha256 is not the sha256 of ${plugin.entry.file} (${sha256Hex(module)}); rebuild with dativo plugin build`,
      { location: { file: manifestPath, keyPath: 'entry.sha256' } },
    );
  }
  const files: ArtifactFile[] = [
    { name: MANIFEST_FILE, mediaType: MEDIA.manifestFile, bytes: manifestText },
    { name: plugin.entry.file, mediaType: MEDIA.module, bytes: module },
  ];
  const readme = path.join(dir, 'README.md');
  if (existsSync(readme))
    files.push({ name: 'README.md', mediaType: MEDIA.readme, bytes: readFileSync(readme) });
  return assemble(plugin, files);
}

/** The OCI manifest over a config and files (also used to rebuild one read from a folder). */
export function assemble(plugin: PluginManifest, files: ArtifactFile[]): PluginArtifact {
  const config = configBytes(plugin);
  const layers: Descriptor[] = files.map((f) => ({
    mediaType: f.mediaType,
    digest: sha256Digest(f.bytes),
    size: f.bytes.length,
    annotations: { [TITLE]: f.name },
  }));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: MEDIA.artifact,
    config: { mediaType: MEDIA.config, digest: sha256Digest(config), size: config.length },
    layers,
    annotations: {
      [TITLE]: plugin.name,
      'org.opencontainers.image.version': plugin.version,
      'org.opencontainers.image.description': plugin.description ?? '',
    },
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  return { plugin, config, files, manifestBytes, digest: sha256Digest(manifestBytes) };
}

/** Parse the config blob of a pulled artifact (already digest-checked) into a typed manifest. */
export function pluginFromConfig(config: Buffer, where: string): PluginManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(config.toString('utf8'));
  } catch {
    throw new DativoError('PLUGIN_DENIED', `${where}: the artifact config is not JSON`);
  }
  return parseManifest(JSON.stringify(raw), `${where} (artifact config)`);
}

/** The layers of a pulled manifest, with their file names checked before anything is fetched. */
export function layerFiles(
  manifest: ImageManifest,
  plugin: PluginManifest,
  where: string,
): Array<Descriptor & { name: string }> {
  if (manifest.config.mediaType !== MEDIA.config) {
    throw new DativoError(
      'PLUGIN_DENIED',
      `${where} is not a Dativo plugin (config media type ${manifest.config.mediaType})`,
    );
  }
  const seen = new Set<string>();
  const out = manifest.layers.map((layer) => {
    const name = layer.annotations?.[TITLE] ?? '';
    assertSafeFileName(name, plugin.name);
    if (seen.has(name)) throw new DativoError('PLUGIN_DENIED', `${where}: file ${name} appears twice`);
    seen.add(name);
    if (layer.size > MAX_LAYER_BYTES) {
      throw new DativoError(
        'PLUGIN_DENIED',
        `${where}: file ${name} is ${layer.size} bytes, over the ${MAX_LAYER_BYTES}-byte limit`,
      );
    }
    return { ...layer, name };
  });
  for (const needed of [MANIFEST_FILE, plugin.entry.file]) {
    if (!seen.has(needed)) throw new DativoError('PLUGIN_DENIED', `${where}: the artifact has no ${needed}`);
  }
  return out;
}

/**
 * After download: the `dativo-plugin.yaml` layer must say what the signed config says, and the
 * module must have the sha256 the manifest names (the loader checks it again before every run).
 */
export function checkFilesAgainstConfig(plugin: PluginManifest, files: ArtifactFile[], where: string): void {
  const byName = new Map(files.map((f) => [f.name, f.bytes]));
  const yaml = byName.get(MANIFEST_FILE);
  const fromYaml = yaml && parseManifest(yaml.toString('utf8'), `${where} ${MANIFEST_FILE}`);
  if (!fromYaml || JSON.stringify(fromYaml) !== JSON.stringify(plugin)) {
    throw new DativoError(
      'PLUGIN_DENIED',
      `${where}: ${MANIFEST_FILE} differs from the signed artifact config`,
    );
  }
  const module = byName.get(plugin.entry.file);
  if (!module || sha256Hex(module) !== plugin.entry.sha256.toLowerCase()) {
    throw new DativoError(
      'PLUGIN_DENIED',
      `${where}: ${plugin.entry.file} does not have the sha256 its manifest names`,
    );
  }
}
