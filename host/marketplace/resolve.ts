/**
 * Choosing a version: the newest tag that satisfies the semver range, is not yanked (unless pinned
 * exactly), is signed by a trusted key and speaks an ABI this host runs. Only manifests, signatures
 * and configs are read here: no module is downloaded for a version that is refused.
 */
import semver from 'semver';
import { DativoError } from '../errors.js';
import { ABI_VERSIONS, type AbiVersion, checkAbiSupport } from '../plugins/abi-support.js';
import type { PluginManifest } from '../plugins/manifest.js';
import { pluginFromConfig } from './artifact.js';
import { type FetchedManifest, MAX_MANIFEST_BYTES } from './oci-client.js';
import { verifyArtifactSignature, yankTag } from './signature.js';
import type { ArtifactStore } from './store.js';
import type { TrustSet } from './trust.js';

export interface Candidate {
  store: ArtifactStore;
  version: string;
  fetched: FetchedManifest;
  plugin: PluginManifest;
  keyId: string;
  signature: string;
  yanked: boolean;
  warnings: string[];
}

/** `name@range` → [name, range]; a bare name means any version (`*`). */
export function parseSpec(spec: string): { name: string; range: string } {
  const at = spec.indexOf('@', 1);
  const name = at < 0 ? spec : spec.slice(0, at);
  const range = at < 0 ? '*' : spec.slice(at + 1);
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
    throw new DativoError(
      'CONFIG_INVALID',
      `"${name}" is not a plugin name (lower-case letters, digits, ".", "_", "-")`,
    );
  }
  if (semver.validRange(range) === null) {
    throw new DativoError(
      'CONFIG_INVALID',
      `"${range}" in ${spec} is not a semver range (e.g. ^1.2, ~1.2.3, 1.2.3)`,
    );
  }
  return { name, range };
}

/** Version tags of a repository, newest first (signature and yank tags are not versions). */
export function versionsOf(tags: string[]): string[] {
  return semver.rsort(tags.filter((t) => semver.valid(t) !== null && semver.clean(t) === t));
}

/** The signed plugin manifest of one version: signature first, then the config it vouches for. */
export async function readVersion(
  store: ArtifactStore,
  name: string,
  version: string,
  trust: TrustSet,
  tags: string[],
): Promise<Candidate> {
  const what = `${name}@${version} (${store.location})`;
  const fetched = await store.manifest(version);
  if (!fetched) throw new DativoError('CONFIG_NOT_FOUND', `${what} does not exist`);
  const { keyId, signature } = await verifyArtifactSignature(store, fetched.bytes, trust, what);
  const config = await store.blob(fetched.manifest.config, MAX_MANIFEST_BYTES);
  const plugin = pluginFromConfig(config, what);
  if (plugin.name !== name || plugin.version !== version) {
    throw new DativoError(
      'PLUGIN_DENIED',
      `${what}: the signed artifact is ${plugin.name}@${plugin.version}`,
    );
  }
  const yanked = tags.includes(yankTag(fetched.digest));
  return { store, version, fetched, plugin, keyId, signature, yanked, warnings: [] };
}

export async function resolveCandidate(
  store: ArtifactStore,
  name: string,
  range: string,
  trust: TrustSet,
  table: readonly AbiVersion[] = ABI_VERSIONS,
): Promise<Candidate> {
  const tags = await store.tags();
  const versions = versionsOf(tags);
  if (versions.length === 0) {
    throw new DativoError('CONFIG_NOT_FOUND', `plugin ${name} is not published in ${store.location}`);
  }
  const exact = semver.valid(range) !== null;
  const matching = versions.filter((v) => semver.satisfies(v, range));
  const skipped: string[] = [];
  for (const version of matching) {
    const cand = await readVersion(store, name, version, trust, tags);
    if (cand.yanked && !exact) {
      skipped.push(`${version} is yanked (install it only by pinning ${name}@${version})`);
      continue;
    }
    try {
      const verdict = checkAbiSupport(cand.plugin.abi, name, table);
      if (verdict.warning) cand.warnings.push(verdict.warning);
    } catch (e) {
      if (exact) throw e;
      skipped.push(`${version}: ${(e as Error).message}`);
      continue;
    }
    if (cand.yanked)
      cand.warnings.push(`${name}@${version} is yanked; installing it because it was pinned exactly`);
    return cand;
  }
  const why = skipped.length > 0 ? `: ${skipped.join('; ')}` : ` (published: ${versions.join(', ')})`;
  throw new DativoError(
    skipped.some((s) => s.includes('ABI')) ? 'PLUGIN_VERSION_INCOMPATIBLE' : 'CONFIG_NOT_FOUND',
    `no installable version of ${name} matches ${range} in ${store.location}${why}`,
  );
}
