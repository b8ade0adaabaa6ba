/**
 * Which local image a container runs, and whether it is the one the job pinned. dockerode's
 * createContainer never pulls, so a missing image is pulled here once (policy `missing`) or
 * refused (`never`); both failures name the image and how to point the job at a local build.
 *
 * A pin is a digest: `name@sha256:...` in the reference or a separate `digest`. It matches the
 * image's id (config digest, what a local `docker build`/`import` gives) or one of its registry
 * digests (what a pull gives). The container is then created from the image id, so a tag moved
 * between the check and the start cannot swap the image.
 */
import type Docker from 'dockerode';
import { DativoError, type Location } from '../../errors.js';

export type PullPolicy = 'missing' | 'never';

export interface ResolvedImage {
  /** The image id (sha256:...), what the container is created from. */
  id: string;
  ref: string;
  repoDigests: string[];
  /** The image's ENTRYPOINT and CMD, what the container runs unless the spec replaces them. */
  entrypoint: string[];
  cmd: string[];
}

export interface ImageRequest {
  ref: string;
  digest?: string;
  pull?: PullPolicy;
  /** Where the job set the image, for messages (e.g. "source.engine.options.airbyte.docker_image"). */
  keyPath?: string;
  /** Where the job set the image (file:line), attached to the errors. */
  location?: Location;
}

function splitRef(ref: string): { name: string; digest?: string } {
  const at = ref.indexOf('@');
  if (at < 0) return { name: ref };
  return { name: ref.slice(0, at), digest: ref.slice(at + 1) };
}

function normDigest(d: string): string {
  const t = d.trim().toLowerCase();
  return t.startsWith('sha256:') ? t : `sha256:${t}`;
}

async function inspect(docker: Docker, ref: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw new DativoError(
      'ENGINE_UNAVAILABLE',
      `docker: cannot inspect image ${ref}: ${(err as Error).message}`,
      {
        retryable: true,
        cause: err,
      },
    );
  }
}

async function pull(docker: Docker, ref: string): Promise<string | undefined> {
  try {
    const stream = await docker.pull(ref);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
    );
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

export async function resolveImage(docker: Docker, req: ImageRequest): Promise<ResolvedImage> {
  const { name, digest: refDigest } = splitRef(req.ref);
  const pin = req.digest ?? refDigest;
  const where = req.keyPath ? ` (set ${req.keyPath} to a locally built image)` : '';
  // Registry digests resolve by the full reference; local builds only by name or id.
  let info = (await inspect(docker, req.ref)) ?? (refDigest ? await inspect(docker, name) : undefined);
  if (!info && refDigest) info = await inspect(docker, normDigest(refDigest));
  if (!info) {
    if ((req.pull ?? 'missing') === 'never') {
      throw new DativoError(
        'IMAGE_NOT_FOUND',
        `docker image ${req.ref} is not present locally and pulling is off${where}`,
        {
          location: req.location,
        },
      );
    }
    const why = await pull(docker, req.ref);
    info = await inspect(docker, req.ref);
    if (!info) {
      throw new DativoError(
        'IMAGE_NOT_FOUND',
        `docker image ${req.ref} is not present locally and could not be pulled: ${why ?? 'not found after pull'}${where}`,
        { retryable: false, location: req.location },
      );
    }
  }
  const repoDigests = (info.RepoDigests ?? []).map((d) => d.slice(d.indexOf('@') + 1).toLowerCase());
  if (pin) {
    const want = normDigest(pin);
    if (info.Id.toLowerCase() !== want && !repoDigests.includes(want)) {
      throw new DativoError(
        'PLUGIN_DENIED',
        `docker image ${req.ref} is ${info.Id}${repoDigests.length ? ` (registry digests ${repoDigests.join(', ')})` : ''}, ` +
          `not the pinned ${want}; refusing to run it`,
        { location: req.location },
      );
    }
  }
  return {
    id: info.Id,
    ref: req.ref,
    repoDigests,
    entrypoint: asArgv(info.Config?.Entrypoint),
    cmd: asArgv(info.Config?.Cmd),
  };
}

/** Docker reports ENTRYPOINT/CMD as null, an array, or (old images) a string. */
function asArgv(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  return typeof v === 'string' && v ? [v] : [];
}
