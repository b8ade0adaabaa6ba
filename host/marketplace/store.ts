/**
 * Where artifacts come from: a repository in an OCI registry, or an OCI image layout folder
 * (`oci:DIR`, what `skopeo copy … oci:DIR` and `dativo plugin pull --to oci:DIR` write). Both give
 * tags, manifests and digest-checked blobs, so resolution and install do not care which.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DativoError } from '../errors.js';
import {
  type Descriptor,
  type FetchedManifest,
  type ImageManifest,
  MAX_MANIFEST_BYTES,
  OCI_MANIFEST,
  type RegistryClient,
  sha256Digest,
} from './oci-client.js';

export interface ArtifactStore {
  /** For messages and the lock: registry URL with repository, or the layout folder. */
  readonly location: string;
  readonly kind: 'registry' | 'oci-layout';
  tags(): Promise<string[]>;
  manifest(reference: string): Promise<FetchedManifest | undefined>;
  blob(desc: Pick<Descriptor, 'digest' | 'size'>, maxBytes: number): Promise<Buffer>;
}

export function registryStore(client: RegistryClient, repo: string): ArtifactStore {
  return {
    location: `${client.origin}/${repo}`,
    kind: 'registry',
    tags: () => client.listTags(repo),
    manifest: (ref) => client.getManifest(repo, ref),
    blob: (desc, max) => client.getBlob(repo, desc, max),
  };
}

const REF_NAME = 'org.opencontainers.image.ref.name';

interface LayoutIndex {
  schemaVersion: 2;
  manifests: Array<Descriptor & { annotations?: Record<string, string> }>;
}

function readIndex(dir: string): LayoutIndex {
  const file = path.join(dir, 'index.json');
  if (!existsSync(path.join(dir, 'oci-layout')) || !existsSync(file)) {
    throw new DativoError(
      'CONFIG_NOT_FOUND',
      `${dir} is not an OCI image layout (no oci-layout and index.json)`,
    );
  }
  return JSON.parse(readFileSync(file, 'utf8')) as LayoutIndex;
}

function blobPath(dir: string, digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m?.[1]) throw new DativoError('PLUGIN_DENIED', `${dir}: "${digest}" is not a sha256 digest`);
  return path.join(dir, 'blobs', 'sha256', m[1]);
}

function readBlob(dir: string, desc: Pick<Descriptor, 'digest' | 'size'>, maxBytes: number): Buffer {
  const file = blobPath(dir, desc.digest);
  if (!existsSync(file)) throw new DativoError('CONFIG_NOT_FOUND', `${dir}: blob ${desc.digest} is missing`);
  const size = statSync(file).size;
  if (size > maxBytes || size !== desc.size) {
    throw new DativoError(
      'PLUGIN_DENIED',
      `${dir}: blob ${desc.digest} is ${size} bytes (expected ${desc.size}, limit ${maxBytes})`,
    );
  }
  const bytes = readFileSync(file);
  if (sha256Digest(bytes) !== desc.digest) {
    throw new DativoError(
      'PLUGIN_DENIED',
      `${dir}: blob ${desc.digest} does not match its digest (tampered)`,
    );
  }
  return bytes;
}

export function layoutStore(dir: string): ArtifactStore {
  const root = path.resolve(dir);
  return {
    location: root,
    kind: 'oci-layout',
    tags: async () =>
      readIndex(root)
        .manifests.map((m) => m.annotations?.[REF_NAME])
        .filter((t): t is string => !!t),
    manifest: async (ref) => {
      const entry = readIndex(root).manifests.find(
        (m) => m.digest === ref || m.annotations?.[REF_NAME] === ref,
      );
      if (!entry) return undefined;
      const bytes = readBlob(root, entry, MAX_MANIFEST_BYTES);
      return { bytes, digest: entry.digest, manifest: JSON.parse(bytes.toString('utf8')) as ImageManifest };
    },
    blob: async (desc, max) => readBlob(root, desc, max),
  };
}

/** Writes an OCI image layout: blobs by digest, and index.json entries named by tag. */
export class LayoutWriter {
  constructor(readonly dir: string) {
    mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }

  putBlob(bytes: Buffer): string {
    const digest = sha256Digest(bytes);
    const file = blobPath(this.dir, digest);
    if (!existsSync(file)) {
      writeFileSync(`${file}.tmp`, bytes);
      renameSync(`${file}.tmp`, file);
    }
    return digest;
  }

  /** Add a manifest under a tag (replacing an older entry of the same tag). */
  tag(manifestBytes: Buffer, tag: string): void {
    const digest = this.putBlob(manifestBytes);
    const indexFile = path.join(this.dir, 'index.json');
    const index: LayoutIndex = existsSync(indexFile)
      ? (JSON.parse(readFileSync(indexFile, 'utf8')) as LayoutIndex)
      : { schemaVersion: 2, manifests: [] };
    index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== tag);
    index.manifests.push({
      mediaType: OCI_MANIFEST,
      digest,
      size: manifestBytes.length,
      annotations: { [REF_NAME]: tag },
    });
    writeFileSync(`${indexFile}.tmp`, JSON.stringify(index));
    renameSync(`${indexFile}.tmp`, indexFile);
  }
}
