/**
 * One connector process in a hardened container: read-only root, every capability dropped,
 * no-new-privileges, a non-root user, memory/CPU/pids limits, network `none` (or `host` when the
 * job grants egress: that shares the host's network namespace, loopback included, so it isolates
 * nothing network-wise), an empty environment, and read-only binds only: the config directory and
 * the directory of the stdout FIFO.
 *
 * stdout is a pull-based byte stream: a FIFO in a second read-only bind when the image has
 * /bin/sh (stdout-fifo.ts; several times faster than Docker's attach stream), else the attach
 * stream (demux.ts). stderr always comes over attach; it is kept as a bounded, masked tail for
 * error messages and handed line by line to `onStderrLine`.
 */
import Docker from 'dockerode';
import { DativoError, type Location } from '../../errors.js';
import { masker } from '../../secrets/masker.js';
import type { ConnectorExit, ConnectorProcess } from '../protocol/process.js';
import { demux } from './demux.js';
import { type PullPolicy, type ResolvedImage, resolveImage } from './image.js';
import { createStdoutFifo, fifoEntrypoint, IO_MOUNT, type StdoutFifo } from './stdout-fifo.js';

export type NetworkMode = 'none' | 'host';

export interface ContainerLimits {
  memoryMb: number;
  /** Fractional CPUs (0.5 = half a core). */
  cpus: number;
  pids: number;
  /** Size of the writable /tmp tmpfs (the only writable path). */
  tmpMb: number;
}

export const DEFAULT_LIMITS: ContainerLimits = { memoryMb: 1024, cpus: 1, pids: 256, tmpMb: 64 };

export interface ContainerSpec {
  image: string;
  /** Digest pin (sha256:...), also accepted as `image@sha256:...`. */
  digest?: string;
  pull?: PullPolicy;
  /** Job key that named the image, for error messages. */
  imageKeyPath?: string;
  imageLocation?: Location;
  /** Replaces the image's CMD (the ENTRYPOINT stays), e.g. ['read', '--config', '/config/config.json']. */
  args: string[];
  /** Overrides the image's ENTRYPOINT (tests and benchmarks only). */
  entrypoint?: string[];
  network: NetworkMode;
  /** Host directory mounted read-only at `configMount`. */
  configDir?: string;
  configMount?: string;
  limits?: Partial<ContainerLimits>;
  /** uid:gid inside the container; root (0) is refused. */
  user?: string;
  /** Extra environment; empty by default (secrets travel only in the config directory). */
  env?: Record<string, string>;
  /** Extra container labels (e.g. the job), for finding a run's containers. */
  labels?: Record<string, string>;
}

export type ExitStatus = ConnectorExit;

export interface RunningContainer extends ConnectorProcess {
  readonly id: string;
  readonly image: ResolvedImage;
}

export interface RunOptions {
  docker?: Docker;
  onStderrLine?: (line: string) => void;
  /** Bytes of stderr kept for error messages (default 16 KiB). */
  stderrTailBytes?: number;
}

let shared: Docker | undefined;

/** The engine client: DOCKER_HOST if set, else the default socket. */
export function dockerClient(): Docker {
  shared ??= new Docker();
  return shared;
}

/** Throws ENGINE_UNAVAILABLE with a hint when no Docker engine answers. */
export async function assertDockerReady(docker: Docker = dockerClient()): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    throw new DativoError(
      'ENGINE_UNAVAILABLE',
      `no Docker engine answers (${(err as Error).message}); start one (scripts/services/start-docker.sh) or set DOCKER_HOST`,
      { retryable: true, cause: err },
    );
  }
}

function parseUser(user: string): { uid: number; gid: number } {
  const [u, g] = user.split(':');
  const uid = Number(u);
  const gid = Number(g ?? u);
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid <= 0 || gid <= 0) {
    throw new DativoError('CONFIG_INVALID', `container user "${user}" must be a numeric non-root uid[:gid]`);
  }
  return { uid, gid };
}

/** `ioDir`: the host directory holding the stdout FIFO, if stdout goes through one. */
export function hostConfig(spec: ContainerSpec, ioDir?: string): Docker.HostConfig {
  const l = { ...DEFAULT_LIMITS, ...spec.limits };
  const mount = spec.configMount ?? '/config';
  return {
    ReadonlyRootfs: true,
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    Privileged: false,
    NetworkMode: spec.network,
    Memory: l.memoryMb * 1024 * 1024,
    MemorySwap: l.memoryMb * 1024 * 1024,
    NanoCpus: Math.round(l.cpus * 1e9),
    PidsLimit: l.pids,
    // An init as PID 1 forwards SIGTERM; a shell as PID 1 would ignore it and always need a kill.
    Init: true,
    IpcMode: 'private',
    Tmpfs: { '/tmp': `rw,noexec,nosuid,nodev,size=${l.tmpMb}m,mode=1777` },
    Binds: [
      ...(spec.configDir ? [`${spec.configDir}:${mount}:ro`] : []),
      ...(ioDir ? [`${ioDir}:${IO_MOUNT}:ro`] : []),
    ],
    Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1024 }],
    AutoRemove: false,
  };
}

/** What the container runs, as Docker would resolve it (a spec's entrypoint drops the image's CMD). */
function command(spec: ContainerSpec, image: ResolvedImage): string[] {
  if (spec.entrypoint) return [...spec.entrypoint, ...spec.args];
  return [...image.entrypoint, ...(spec.args.length > 0 ? spec.args : image.cmd)];
}

/** Whether an image has /bin/sh, asked once per image of a created (not started) container. */
const hasShell = new Map<string, boolean>();

async function shellIn(container: Docker.Container, imageId: string): Promise<boolean> {
  let known = hasShell.get(imageId);
  if (known === undefined) {
    // A HEAD request, answered as a stream: left unread, its socket would keep the process alive.
    known = await container.infoArchive({ path: '/bin/sh' }).then(
      (res: unknown) => {
        (res as { resume?: () => void }).resume?.();
        return true;
      },
      () => false,
    );
    hasShell.set(imageId, known);
  }
  return known;
}

/**
 * Creates the container, its stdout through a FIFO when the image has /bin/sh (checked on the
 * created container, then remembered per image), through attach otherwise.
 */
async function createContainer(
  docker: Docker,
  spec: ContainerSpec,
  image: ResolvedImage,
  user: string,
): Promise<{ container: Docker.Container; fifo?: StdoutFifo }> {
  const argv = command(spec, image);
  const create = (fifo: StdoutFifo | undefined): Promise<Docker.Container> =>
    docker.createContainer({
      Image: image.id,
      ...(fifo
        ? { Entrypoint: fifoEntrypoint(), Cmd: argv }
        : { Cmd: spec.args, ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}) }),
      Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
      User: user,
      WorkingDir: '/tmp',
      Tty: false,
      OpenStdin: false,
      AttachStdout: !fifo,
      AttachStderr: true,
      NetworkDisabled: spec.network === 'none',
      Labels: { ...spec.labels, 'dev.dativo.engine': 'true', 'dev.dativo.image': spec.image },
      HostConfig: hostConfig(spec, fifo?.dir),
    });
  const { uid, gid } = parseUser(user);
  const fifo =
    hasShell.get(image.id) === false || argv.length === 0 ? undefined : await createStdoutFifo(uid, gid);
  if (!fifo) return { container: await create(undefined) };
  try {
    const container = await create(fifo);
    if (await shellIn(container, image.id)) return { container, fifo };
    await container.remove({ force: true }).catch(() => {});
  } catch (err) {
    await fifo.dispose();
    throw err;
  }
  await fifo.dispose();
  return { container: await create(undefined) };
}

export async function runContainer(spec: ContainerSpec, opts: RunOptions = {}): Promise<RunningContainer> {
  const docker = opts.docker ?? dockerClient();
  await assertDockerReady(docker);
  const user = spec.user ?? '65534:65534';
  parseUser(user);
  const image = await resolveImage(docker, {
    ref: spec.image,
    digest: spec.digest,
    pull: spec.pull,
    keyPath: spec.imageKeyPath,
    location: spec.imageLocation,
  });
  const { container, fifo } = await createContainer(docker, spec, image, user);
  const tailMax = opts.stderrTailBytes ?? 16 * 1024;
  let tail = '';
  let partial = '';
  const onStderr = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-tailMax);
    if (!opts.onStderrLine) return;
    const parts = (partial + text).split('\n');
    partial = (parts.pop() ?? '').slice(-tailMax);
    for (const p of parts) if (p.length > 0) opts.onStderrLine(masker.mask(p));
  };
  // Attach before start, or the first lines could be lost.
  const raw = (await container.attach({ stream: true, stdout: !fifo, stderr: true }).catch(async (err) => {
    await container.remove({ force: true }).catch(() => {});
    await fifo?.dispose();
    throw err;
  })) as NodeJS.ReadableStream;
  let killed = false;
  let stopping: Promise<void> | undefined;
  let removed = false;
  // Registered before start; 'next-exit' because the default ('not-running') answers at once,
  // with status 0, for a container that has not started yet.
  const exited = container.wait({ condition: 'next-exit' }).then(
    async (r: { StatusCode: number }) => {
      const info = await container.inspect().catch(() => undefined);
      return { exitCode: r.StatusCode, oomKilled: info?.State?.OOMKilled === true, killed };
    },
    (err: Error) => {
      throw new DativoError('ENGINE_FAILED', `docker: waiting for container failed: ${err.message}`, {
        cause: err,
      });
    },
  );
  exited.catch(() => {});
  // The container's exit ends the FIFO, whether or not it ever opened it.
  if (fifo) void exited.finally(() => fifo.writerGone()).catch(() => {});
  try {
    await container.start();
  } catch (err) {
    await container.remove({ force: true }).catch(() => {});
    await fifo?.dispose();
    throw new DativoError('ENGINE_FAILED', `docker: cannot start ${spec.image}: ${(err as Error).message}`, {
      cause: err,
    });
  }

  const flushStderr = (): void => {
    if (partial && opts.onStderrLine) opts.onStderrLine(masker.mask(partial));
    partial = '';
  };
  // With a FIFO, attach carries stderr alone and is drained on its own; stderr is small.
  const stderrDone = fifo
    ? (async () => {
        for await (const _ of demux(raw as AsyncIterable<Buffer>, onStderr));
        flushStderr();
      })().catch(() => {})
    : undefined;

  async function* stdout(): AsyncGenerator<Buffer> {
    if (fifo) {
      yield* fifo.chunks;
      return;
    }
    yield* demux(raw as AsyncIterable<Buffer>, onStderr);
    flushStderr();
  }

  const stop = (graceMs: number): Promise<void> => {
    stopping ??= (async () => {
      const deadline = Date.now() + graceMs;
      await container.kill({ signal: 'SIGTERM' }).catch(() => {});
      const done = await Promise.race([
        exited.then(() => true).catch(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), Math.max(0, deadline - Date.now())).unref()),
      ]);
      if (!done) {
        killed = true;
        await container.kill({ signal: 'SIGKILL' }).catch(() => {});
      }
      await exited.catch(() => {});
      (raw as { destroy?: () => void }).destroy?.();
    })();
    return stopping;
  };

  return {
    id: container.id,
    image,
    stdout: stdout(),
    stderrTail: () => masker.mask(tail),
    // With a FIFO, stderr arrives on its own stream: the tail is complete once it ended.
    async wait() {
      const status = await exited;
      await stderrDone;
      return status;
    },
    stop,
    async remove() {
      if (removed) return;
      removed = true;
      await container.remove({ force: true }).catch(() => {});
      await fifo?.dispose();
    },
  };
}
