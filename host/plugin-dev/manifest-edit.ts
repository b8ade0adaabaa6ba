/**
 * Rewriting a plugin's `dativo-plugin.yaml` in place after a build (entry file and sha256), keeping
 * the author's comments and layout: the manifest is a file people edit, not generated output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { type PluginManifest, parseManifest } from '../plugins/manifest.js';

/**
 * The digest of zero bytes: the placeholder of a manifest whose module is not built yet. It passes
 * the manifest schema, never matches a real module, and (unlike all zeros) YAML reads it as text.
 */
export const UNBUILT_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export function setManifestEntry(
  manifestPath: string,
  entry: { file?: string; sha256: string },
): PluginManifest {
  const doc = parseDocument(readFileSync(manifestPath, 'utf8'));
  if (entry.file !== undefined) doc.setIn(['entry', 'file'], entry.file);
  doc.setIn(['entry', 'sha256'], entry.sha256);
  const text = doc.toString({ lineWidth: 0 });
  // Validate before writing, so a build never leaves a manifest the host would refuse.
  const manifest = parseManifest(text, manifestPath);
  writeFileSync(manifestPath, text);
  return manifest;
}
