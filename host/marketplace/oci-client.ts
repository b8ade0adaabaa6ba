/**
 * The OCI distribution HTTP API, the part a plugin marketplace needs: manifests and blobs (pull,
 * push), tag lists and the catalog, with the registry token flow (401 + WWW-Authenticate: Bearer
 * realm/service/scope → token) and Basic auth.
 *
 * Hand-written because the npm clients we could use are unmaintained or Docker-v2-only
 * (docker-registry-client, oci-registry-client); the API is small and is tested against the real
 * CNCF distribution server (tests/integration/marketplace). Every blob is checked against its
 * digest and size while it is read, and reads stop at a size limit.
 */
import { createHash } from 'node:crypto';
import { DativoError } from '../errors.js';
import type { RegistryCredentials } from './credentials.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const ACCEPT_MANIFESTS = [OCI_MANIFEST, 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');
/** Manifests and configs are small; anything larger is refused before it is buffered. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  manifest: ImageManifest;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export interface RegistryClientOptions {
  credentials?: RegistryCredentials | undefined;
  fetch?: typeof fetch;
}

export class RegistryClient {
  private readonly fetchImpl: typeof fetch;
  private readonly tokens = new Map<string, string>();

  constructor(
    /** e.g. http://127.0.0.1:5000 (no path). */
    readonly origin: string,
    private readonly opts: RegistryClientOptions = {},
  ) {
    this.fetchImpl = opts.fetch ?? fetch;
  }

  async getManifest(repo: string, reference: string): Promise<FetchedManifest | undefined> {
    const res = await this.request('GET', `/v2/${repo}/manifests/${reference}`, repo, 'pull', {
      headers: { accept: ACCEPT_MANIFESTS },
    });
    if (res.status === 404) return undefined;
    await this.expectOk(res, `manifest ${repo}:${reference}`);
    const bytes = await readLimited(res, MAX_MANIFEST_BYTES, `manifest ${repo}:${reference}`);
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw integrity(`manifest ${repo}@${reference} has digest ${digest}`);
    }
    let manifest: ImageManifest;
    try {
      manifest = JSON.parse(bytes.toString('utf8')) as ImageManifest;
    } catch {
      throw protocol(`manifest ${repo}:${reference} is not JSON`);
    }
    if (manifest.schemaVersion !== 2 || !manifest.config || !Array.isArray(manifest.layers)) {
      throw protocol(`manifest ${repo}:${reference} is not an OCI image manifest`);
    }
    return { bytes, digest, manifest };
  }

  async putManifest(
    repo: string,
    reference: string,
    bytes: Buffer,
    mediaType = OCI_MANIFEST,
  ): Promise<string> {
    const res = await this.request('PUT', `/v2/${repo}/manifests/${reference}`, repo, 'push,pull', {
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    await this.expectOk(res, `pushing manifest ${repo}:${reference}`);
    return sha256Digest(bytes);
  }

  async deleteManifest(repo: string, digest: string): Promise<void> {
    const res = await this.request('DELETE', `/v2/${repo}/manifests/${digest}`, repo, 'delete,push,pull');
    if (res.status !== 404) await this.expectOk(res, `deleting ${repo}@${digest}`);
  }

  /** A blob, verified against its digest and expected size; reading stops past `maxBytes`. */
  async getBlob(repo: string, desc: Pick<Descriptor, 'digest' | 'size'>, maxBytes: number): Promise<Buffer> {
    if (desc.size > maxBytes) {
      throw integrity(`blob ${desc.digest} is ${desc.size} bytes, over the ${maxBytes}-byte limit`);
    }
    const res = await this.request('GET', `/v2/${repo}/blobs/${desc.digest}`, repo, 'pull');
    await this.expectOk(res, `blob ${repo}@${desc.digest}`);
    const bytes = await readLimited(res, Math.min(maxBytes, desc.size), `blob ${desc.digest}`);
    if (bytes.length !== desc.size) {
      throw integrity(`blob ${desc.digest} is ${bytes.length} bytes, the manifest says ${desc.size}`);
    }
    const actual = sha256Digest(bytes);
    if (actual !== desc.digest)
      throw integrity(`blob ${desc.digest} has content digest ${actual} (tampered)`);
    return bytes;
  }

  /** Monolithic upload (POST a session, PUT with ?digest=), skipped when the blob already exists. */
  async pushBlob(repo: string, bytes: Buffer): Promise<Descriptor & { mediaType: '' }> {
    const digest = sha256Digest(bytes);
    const head = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`, repo, 'push,pull');
    if (head.status !== 200) {
      const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`, repo, 'push,pull');
      await this.expectOk(start, `starting an upload to ${repo}`);
      const location = start.headers.get('location');
      if (!location) throw protocol(`the registry gave no upload location for ${repo}`);
      const url = new URL(location, this.origin);
      url.searchParams.set('digest', digest);
      const put = await this.request('PUT', url.pathname + url.search, repo, 'push,pull', {
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      });
      await this.expectOk(put, `uploading ${digest} to ${repo}`);
    }
    return { mediaType: '', digest, size: bytes.length };
  }

  async listTags(repo: string): Promise<string[]> {
    return this.paginate(`/v2/${repo}/tags/list?n=1000`, repo, 'tags');
  }

  /** Repositories of the registry (the `_catalog` extension, which the CNCF server offers). */
  async catalog(): Promise<string[]> {
    return this.paginate('/v2/_catalog?n=1000', undefined, 'repositories');
  }

  private async paginate(
    first: string,
    repo: string | undefined,
    key: 'tags' | 'repositories',
  ): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined = first;
    while (next) {
      const res = await this.request('GET', next, repo, 'pull');
      if (res.status === 404) return out;
      await this.expectOk(res, key === 'tags' ? `tags of ${repo}` : 'the catalog');
      const body = JSON.parse((await readLimited(res, MAX_MANIFEST_BYTES, key)).toString('utf8')) as Record<
        string,
        string[] | null
      >;
      out.push(...(body[key] ?? []));
      // RFC 5988 Link: <url>; rel="next"
      next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    }
    return out;
  }

  private async request(
    method: string,
    pathAndQuery: string,
    repo: string | undefined,
    actions: string,
    init: { headers?: Record<string, string>; body?: Buffer } = {},
  ): Promise<Response> {
    const scope = repo ? `repository:${repo}:${actions}` : 'registry:catalog:*';
    const send = (auth?: string) =>
      this.fetchImpl(new URL(pathAndQuery, this.origin), {
        method,
        headers: { ...init.headers, ...(auth ? { authorization: auth } : {}) },
        ...(init.body ? { body: init.body } : {}),
        redirect: 'follow',
      }).catch((e: unknown) => {
        throw new DativoError(
          'CONNECTION_FAILED',
          `cannot reach the registry ${this.origin}: ${(e as Error).message}`,
          {
            retryable: true,
          },
        );
      });
    const cached = this.tokens.get(scope);
    let res = await send(cached);
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate') ?? '';
    await res.body?.cancel();
    const auth = await this.authorize(challenge, scope);
    this.tokens.set(scope, auth);
    res = await send(auth);
    if (res.status === 401) {
      await res.body?.cancel();
      throw new DativoError(
        'AUTHENTICATION_FAILED',
        `the registry ${this.origin} refused the credentials for ${scope}`,
      );
    }
    return res;
  }

  /** The Authorization header for a 401 challenge: Basic from the credentials, or a bearer token from the realm. */
  private async authorize(challenge: string, scope: string): Promise<string> {
    const creds = this.opts.credentials;
    const basic =
      creds?.username !== undefined
        ? `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}`
        : undefined;
    if (/^basic/i.test(challenge)) {
      if (!basic) throw noCredentials(this.origin);
      return basic;
    }
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!/^bearer/i.test(challenge) || !params.realm) {
      throw protocol(
        `the registry ${this.origin} asked for an unsupported authentication (${challenge.split(' ')[0]})`,
      );
    }
    if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? scope);
    const res = await this.fetchImpl(url, { headers: basic ? { authorization: basic } : {} });
    if (!res.ok) {
      await res.body?.cancel();
      if (res.status === 401 || res.status === 403) throw noCredentials(this.origin);
      throw protocol(`the token service ${url.origin} answered ${res.status}`);
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw protocol(`the token service ${url.origin} returned no token`);
    return `Bearer ${token}`;
  }

  private async expectOk(res: Response, what: string): Promise<void> {
    if (res.ok) return;
    const text = (await res.text().catch(() => '')).slice(0, 300);
    if (res.status === 404) throw new DativoError('CONFIG_NOT_FOUND', `${what}: not found in ${this.origin}`);
    if (res.status === 403)
      throw new DativoError('AUTHENTICATION_FAILED', `${what}: the registry ${this.origin} denied access`);
    throw protocol(`${what}: the registry ${this.origin} answered ${res.status} ${text}`, res.status >= 500);
  }
}

/** A response body as bytes, refusing more than `limit` bytes (a registry cannot make us buffer without bound). */
async function readLimited(res: Response, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) {
    await res.body?.cancel();
    throw integrity(`${what} is ${declared} bytes, over the ${limit}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (!res.body) return Buffer.alloc(0);
  for await (const chunk of res.body) {
    total += chunk.length;
    if (total > limit) throw integrity(`${what} is over the ${limit}-byte limit`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

function integrity(message: string): DativoError {
  return new DativoError('PLUGIN_DENIED', message);
}

function protocol(message: string, retryable = false): DativoError {
  return new DativoError('SOURCE_PROTOCOL', message, { retryable });
}

function noCredentials(origin: string): DativoError {
  return new DativoError(
    'AUTHENTICATION_FAILED',
    `the registry ${origin} needs credentials: log in with \`skopeo login\` or \`docker login\` (they write ~/.docker/config.json or $REGISTRY_AUTH_FILE), or set plugin_registry_auth in the secret manager`,
  );
}
