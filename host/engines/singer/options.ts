/**
 * What a job says about its Singer tap (`source.engine.options.singer`, flattened into
 * `source.options` by the config layer), checked once here so the rest never sees raw YAML:
 *
 *   image / docker_image   the tap as a Docker image (its ENTRYPOINT is the tap)
 *   digest                 pin for that image (sha256:...)
 *   executable             the tap as a local executable, run under bubblewrap
 *   args                   arguments placed before the Singer flags (e.g. the script of an interpreter)
 *   unsandboxed: true      run the local executable plainly (the run report says so)
 *   network                true / "host" grants egress; default none
 *   mounts                 extra host paths the local tap may read (read-only)
 *   config                 the tap's config object (credentials and start_date are added)
 *   catalog / properties   a catalog file; default: the tap's own --discover output
 *   streams                streams to select (default: the job's objects, or the only stream)
 *   catalog_flag           "catalog" (default) or "properties" for older taps
 *   stop_grace_seconds     SIGTERM → SIGKILL delay (default 10)
 *   max_line_bytes, memory_mb, cpus, pids   limits
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedJob } from '../../config/types.js';
import { DativoError } from '../../errors.js';

export type Launch =
  | { kind: 'docker'; image: string; digest?: string }
  | {
      kind: 'local';
      executable: string;
      sandboxed: boolean;
      /** Unsandboxed only: working directory and environment (default: the config dir, empty). */
      cwd?: string;
      env?: Record<string, string>;
    };

export interface SingerOptions {
  launch: Launch;
  args: string[];
  network: boolean;
  mounts: string[];
  config: Record<string, unknown>;
  catalogFile?: string;
  catalogFlag: '--catalog' | '--properties';
  streams: string[];
  graceMs: number;
  maxLineBytes?: number;
  limits: { memoryMb?: number; cpus?: number; pids?: number };
}

const KEY = 'source.engine.options.singer';

function bad(job: ResolvedJob, key: string, message: string): DativoError {
  return new DativoError('CONFIG_INVALID', `singer: ${key}: ${message}`, {
    location: { ...job.locate(`source.engine.options.singer.${key}`), keyPath: `${KEY}.${key}` },
  });
}

/** Architecture §7: the working directory first, then the job file's folder. */
export function resolvePath(job: ResolvedJob, p: string): string {
  if (path.isAbsolute(p)) return p;
  const fromCwd = path.resolve(p);
  if (existsSync(fromCwd)) return fromCwd;
  return path.resolve(path.dirname(job.file), p);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(job: ResolvedJob, key: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number'))
    return v.map(String);
  throw bad(job, key, 'expected a list of strings');
}

function positive(job: ResolvedJob, key: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0)
    throw bad(job, key, 'expected a positive number');
  return n;
}

/** The tap config: start_date and credentials from the job, then the explicit `config` (wins). */
function tapConfig(job: ResolvedJob, o: Record<string, unknown>): Record<string, unknown> {
  const src = job.source.config;
  const out: Record<string, unknown> = {};
  const start = o.start_date ?? src.start_date ?? o.start_date_default;
  if (start !== undefined) out.start_date = start;
  Object.assign(out, job.source.credentials);
  if (o.config !== undefined) {
    if (!isObject(o.config)) throw bad(job, 'config', 'expected a mapping (the tap config)');
    Object.assign(out, o.config);
  }
  return out;
}

export function parseSingerOptions(job: ResolvedJob): SingerOptions {
  const o = job.source.options;
  const image = o.image ?? o.docker_image;
  const executable = o.executable;
  if (image !== undefined && executable !== undefined)
    throw bad(job, 'image', 'set either image (a Docker tap) or executable (a local tap), not both');
  let launch: Launch;
  if (typeof image === 'string' && image !== '') {
    launch = { kind: 'docker', image, ...(typeof o.digest === 'string' ? { digest: o.digest } : {}) };
  } else if (typeof executable === 'string' && executable !== '') {
    const file = resolvePath(job, executable);
    if (!existsSync(file)) throw bad(job, 'executable', `${file} does not exist`);
    launch = { kind: 'local', executable: file, sandboxed: o.unsandboxed !== true };
  } else {
    throw bad(job, 'image', 'no tap: set image (a Docker image) or executable (a local program)');
  }
  if (o.unsandboxed === true && launch.kind === 'docker')
    throw bad(job, 'unsandboxed', 'applies to local executables only; Docker taps always run hardened');
  const net = o.network;
  if (net !== undefined && net !== true && net !== false && net !== 'host' && net !== 'none')
    throw bad(job, 'network', 'expected true, false, "host" or "none"');
  const mounts = stringList(job, 'mounts', o.mounts).map((m) => resolvePath(job, m));
  for (const m of mounts) if (!existsSync(m)) throw bad(job, 'mounts', `${m} does not exist`);
  if (mounts.length > 0 && launch.kind === 'docker')
    throw bad(
      job,
      'mounts',
      'extra mounts are only supported for local taps; pass data through the tap config',
    );
  const catalog = o.catalog ?? o.properties;
  let catalogFile: string | undefined;
  if (catalog !== undefined) {
    if (typeof catalog !== 'string') throw bad(job, 'catalog', 'expected the path of a catalog file');
    catalogFile = resolvePath(job, catalog);
    if (!existsSync(catalogFile)) throw bad(job, 'catalog', `${catalogFile} does not exist`);
  }
  const flag = o.catalog_flag ?? (o.properties !== undefined ? 'properties' : 'catalog');
  if (flag !== 'catalog' && flag !== 'properties')
    throw bad(job, 'catalog_flag', 'expected "catalog" or "properties"');
  const streams = stringList(job, 'streams', o.streams);
  const grace = positive(job, 'stop_grace_seconds', o.stop_grace_seconds) ?? 10;
  return {
    launch,
    args: stringList(job, 'args', o.args),
    network: net === true || net === 'host',
    mounts,
    config: tapConfig(job, o),
    ...(catalogFile ? { catalogFile } : {}),
    catalogFlag: flag === 'properties' ? '--properties' : '--catalog',
    streams: streams.length > 0 ? streams : job.source.objects,
    graceMs: Math.round(grace * 1000),
    ...(o.max_line_bytes !== undefined
      ? { maxLineBytes: positive(job, 'max_line_bytes', o.max_line_bytes) }
      : {}),
    limits: {
      memoryMb: positive(job, 'memory_mb', o.memory_mb),
      cpus: positive(job, 'cpus', o.cpus),
      pids: positive(job, 'pids', o.pids),
    },
  };
}
