/**
 * Pushing: a packed artifact (config, layers, manifest tagged with the version) and its signature
 * (tagged `sha256-<digest>.sig`); a yank marker; and copying a version with its signature into an
 * OCI image layout for air-gapped installs.
 */
import { DativoError } from '../errors.js';
import { MAX_LAYER_BYTES, MEDIA, type PluginArtifact } from './artifact.js';
import type { SecretKey } from './minisign.js';
import { keyIdHex } from './minisign.js';
import { MAX_MANIFEST_BYTES } from './oci-client.js';
import type { PluginRegistry } from './registry.js';
import {
  attachmentManifest,
  EMPTY_CONFIG,
  signArtifact,
  signatureManifest,
  signatureTag,
  yankTag,
} from './signature.js';
import type { ArtifactStore, LayoutWriter } from './store.js';

export interface Published {
  name: string;
  version: string;
  repository: string;
  digest: string;
  keyId: string;
  signatureTag: string;
}

export async function publish(
  reg: PluginRegistry,
  artifact: PluginArtifact,
  sk: SecretKey,
  force = false,
): Promise<Published> {
  const { name, version } = artifact.plugin;
  const repo = reg.repoOf(name);
  const existing = await reg.client.getManifest(repo, version);
  if (existing && existing.digest !== artifact.digest && !force) {
    throw new DativoError(
      'CONFIG_INVALID',
      `${name}@${version} is already published in ${reg.client.origin}/${repo} with other content (${existing.digest}); publish a new version`,
    );
  }
  const signature = signArtifact(sk, artifact.manifestBytes, name, version);
  await reg.client.pushBlob(repo, artifact.config);
  for (const f of artifact.files) await reg.client.pushBlob(repo, f.bytes);
  await reg.client.putManifest(repo, version, artifact.manifestBytes);
  // The signature goes last: a version is installable only once it is complete.
  const sigBytes = Buffer.from(signature);
  await reg.client.pushBlob(repo, EMPTY_CONFIG);
  await reg.client.pushBlob(repo, sigBytes);
  await reg.client.putManifest(
    repo,
    signatureTag(artifact.digest),
    signatureManifest(signature, artifact.digest),
  );
  return {
    name,
    version,
    repository: `${reg.client.origin}/${repo}`,
    digest: artifact.digest,
    keyId: keyIdHex(sk.keyId),
    signatureTag: signatureTag(artifact.digest),
  };
}

/** Mark a published version yanked: installs skip it unless it is pinned exactly. */
export async function yank(
  reg: PluginRegistry,
  name: string,
  version: string,
  reason: string,
): Promise<string> {
  const repo = reg.repoOf(name);
  const found = await reg.client.getManifest(repo, version);
  if (!found)
    throw new DativoError(
      'CONFIG_NOT_FOUND',
      `${name}@${version} is not published in ${reg.client.origin}/${repo}`,
    );
  const body = Buffer.from(JSON.stringify({ name, version, reason }));
  await reg.client.pushBlob(repo, EMPTY_CONFIG);
  await reg.client.pushBlob(repo, body);
  await reg.client.putManifest(
    repo,
    yankTag(found.digest),
    attachmentManifest(MEDIA.yank, MEDIA.yank, 'yank.json', body, found.digest),
  );
  return found.digest;
}

/** Copy one manifest and every blob it names from a store into a layout, under `tag`. */
async function copyManifest(
  store: ArtifactStore,
  reference: string,
  tag: string,
  out: LayoutWriter,
): Promise<string | undefined> {
  const found = await store.manifest(reference);
  if (!found) return undefined;
  out.putBlob(await store.blob(found.manifest.config, MAX_MANIFEST_BYTES));
  for (const layer of found.manifest.layers) out.putBlob(await store.blob(layer, MAX_LAYER_BYTES));
  out.tag(found.bytes, tag);
  return found.digest;
}

/** `plugin pull NAME@VERSION --to oci:DIR`: the version, its signature and a yank marker if any. */
export async function pullToLayout(
  store: ArtifactStore,
  version: string,
  out: LayoutWriter,
): Promise<string> {
  const digest = await copyManifest(store, version, version, out);
  if (!digest) throw new DativoError('CONFIG_NOT_FOUND', `version ${version} is not in ${store.location}`);
  for (const tag of [signatureTag(digest), yankTag(digest)]) await copyManifest(store, tag, tag, out);
  return digest;
}
