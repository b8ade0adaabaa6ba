/**
 * Signatures of plugin artifacts. The signed message is the artifact's OCI manifest, byte for byte:
 * it names the config digest (the plugin manifest) and every layer digest, so one signature covers
 * them all, and `minisign -V -m manifest.json` checks it with nothing but the manifest file.
 *
 * Registries without the OCI 1.1 referrers API (Debian's distribution 2.8) find the signature by
 * the referrers tag scheme: a small artifact tagged `sha256-<manifest hex>.sig` whose one layer is
 * the .minisig file. A yanked version gets a marker tagged `sha256-<manifest hex>.yank`.
 */
import { DativoError } from '../errors.js';
import { MEDIA, TITLE } from './artifact.js';
import { type SecretKey, signMessage } from './minisign.js';
import { type ImageManifest, OCI_MANIFEST, sha256Digest } from './oci-client.js';
import type { ArtifactStore } from './store.js';
import { type TrustSet, verifyTrusted } from './trust.js';

export const EMPTY_CONFIG = Buffer.from('{}');
const MAX_SIGNATURE_BYTES = 64 * 1024;

export function signatureTag(manifestDigest: string): string {
  return `${manifestDigest.replace(':', '-')}.sig`;
}

export function yankTag(manifestDigest: string): string {
  return `${manifestDigest.replace(':', '-')}.yank`;
}

/** The trusted comment: what was signed, readable in `minisign -V` output. */
export function trustedComment(name: string, version: string, digest: string): string {
  return `dativo-plugin ${name}@${version} manifest ${digest}`;
}

export function signArtifact(sk: SecretKey, manifestBytes: Buffer, name: string, version: string): string {
  return signMessage(sk, manifestBytes, trustedComment(name, version, sha256Digest(manifestBytes)));
}

/** A one-layer artifact around a small file (the signature, or a yank marker). */
export function attachmentManifest(
  artifactType: string,
  mediaType: string,
  file: string,
  bytes: Buffer,
  subject: string,
): Buffer {
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType,
    config: { mediaType: MEDIA.empty, digest: sha256Digest(EMPTY_CONFIG), size: EMPTY_CONFIG.length },
    layers: [{ mediaType, digest: sha256Digest(bytes), size: bytes.length, annotations: { [TITLE]: file } }],
    annotations: { 'dev.dativo.plugin.subject': subject },
  };
  return Buffer.from(JSON.stringify(manifest));
}

export function signatureManifest(signature: string, manifestDigest: string): Buffer {
  return attachmentManifest(
    MEDIA.signatureArtifact,
    MEDIA.signature,
    'signature.minisig',
    Buffer.from(signature),
    manifestDigest,
  );
}

/** The .minisig text stored for a manifest digest, or undefined when there is none. */
export async function fetchSignature(
  store: ArtifactStore,
  manifestDigest: string,
): Promise<string | undefined> {
  const sig = await store.manifest(signatureTag(manifestDigest));
  const layer = sig?.manifest.layers[0];
  if (!layer || layer.mediaType !== MEDIA.signature) return undefined;
  return (await store.blob(layer, MAX_SIGNATURE_BYTES)).toString('utf8');
}

/**
 * The signer's key id when the artifact's signature verifies with a trusted key; PLUGIN_DENIED for
 * an unsigned artifact, a wrong signature or an untrusted or revoked key.
 */
export async function verifyArtifactSignature(
  store: ArtifactStore,
  manifestBytes: Buffer,
  trust: TrustSet,
  what: string,
): Promise<{ keyId: string; signature: string }> {
  const digest = sha256Digest(manifestBytes);
  const signature = await fetchSignature(store, digest);
  if (!signature) {
    throw new DativoError(
      'PLUGIN_DENIED',
      `${what} is not signed (no ${signatureTag(digest)} in ${store.location}); refusing it`,
    );
  }
  return { keyId: verifyTrusted(manifestBytes, signature, trust, what), signature };
}
