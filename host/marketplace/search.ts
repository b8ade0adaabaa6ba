/**
 * `plugin search` and `plugin info`, read live from the registry: the catalog, each repository's
 * tags, and each version's manifest, signature and config. No cached index: digests and
 * capabilities shown are the ones the registry serves now, and the signature status says whether a
 * trusted key vouches for them.
 */
import { DativoError } from '../errors.js';
import { pluginFromConfig } from './artifact.js';
import { keyIdHex, signatureKeyId } from './minisign.js';
import { MAX_MANIFEST_BYTES } from './oci-client.js';
import type { PluginRegistry } from './registry.js';
import { versionsOf } from './resolve.js';
import { fetchSignature, yankTag } from './signature.js';
import type { ArtifactStore } from './store.js';
import { type TrustSet, verifyTrusted } from './trust.js';

export interface VersionInfo {
  version: string;
  digest: string;
  abi: string;
  role: string;
  runtime: string;
  description?: string;
  capabilities: Record<string, unknown>;
  keyId?: string;
  /** trusted: verifies with a trusted key; untrusted: a key you have not trusted; invalid; unsigned. */
  signature: 'trusted' | 'untrusted' | 'invalid' | 'unsigned';
  yanked: boolean;
}

export interface PluginInfo {
  name: string;
  repository: string;
  versions: VersionInfo[];
}

async function versionInfo(
  store: ArtifactStore,
  version: string,
  tags: string[],
  trust: TrustSet,
): Promise<VersionInfo | undefined> {
  const found = await store.manifest(version);
  if (!found) return undefined;
  const plugin = pluginFromConfig(
    await store.blob(found.manifest.config, MAX_MANIFEST_BYTES),
    `${store.location}:${version}`,
  );
  const sig = await fetchSignature(store, found.digest);
  let keyId: string | undefined;
  let signature: VersionInfo['signature'] = 'unsigned';
  if (sig) {
    try {
      keyId = keyIdHex(signatureKeyId(sig));
      verifyTrusted(found.bytes, sig, trust, version);
      signature = 'trusted';
    } catch (e) {
      const why = (e as Error).message;
      signature = why.includes('not trusted') || why.includes('revoked') ? 'untrusted' : 'invalid';
    }
  }
  return {
    version,
    digest: found.digest,
    abi: plugin.abi,
    role: plugin.role,
    runtime: plugin.runtime,
    ...(plugin.description ? { description: plugin.description } : {}),
    capabilities: plugin.capabilities as Record<string, unknown>,
    ...(keyId ? { keyId } : {}),
    signature,
    yanked: tags.includes(yankTag(found.digest)),
  };
}

/** Every version of one plugin, newest first. */
export async function pluginInfo(
  reg: PluginRegistry,
  name: string,
  trust: TrustSet,
  limit = Infinity,
): Promise<PluginInfo> {
  const store = reg.store(name);
  const tags = await store.tags();
  const versions = versionsOf(tags).slice(0, limit);
  if (versions.length === 0)
    throw new DativoError('CONFIG_NOT_FOUND', `plugin ${name} is not published in ${store.location}`);
  const infos: VersionInfo[] = [];
  for (const v of versions) {
    const info = await versionInfo(store, v, tags, trust);
    if (info) infos.push(info);
  }
  return { name, repository: store.location, versions: infos };
}

/** Plugins whose name or newest description contains `term` (case-insensitive), newest version each. */
export async function searchPlugins(
  reg: PluginRegistry,
  term: string,
  trust: TrustSet,
): Promise<Array<PluginInfo & { allVersions: string[] }>> {
  const prefix = reg.namespace ? `${reg.namespace}/` : '';
  const names = (await reg.client.catalog())
    .filter((r) => r.startsWith(prefix) && !r.slice(prefix.length).includes('/'))
    .map((r) => r.slice(prefix.length));
  const needle = term.toLowerCase();
  const out: Array<PluginInfo & { allVersions: string[] }> = [];
  for (const name of names.sort()) {
    const tags = await reg.store(name).tags();
    const all = versionsOf(tags);
    if (all.length === 0) continue;
    const info = await pluginInfo(reg, name, trust, 1);
    const desc = info.versions[0]?.description ?? '';
    if (name.includes(needle) || desc.toLowerCase().includes(needle)) out.push({ ...info, allVersions: all });
  }
  return out;
}
