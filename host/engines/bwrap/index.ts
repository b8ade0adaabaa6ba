/**
 * Local executables (Singer taps installed on the host) run under bubblewrap: an empty environment,
 * a read-only view of the system's /usr (interpreters and libraries) plus only the paths the job
 * names, a private /tmp, new user/pid/ipc/uts/cgroup namespaces, no network unless granted, every
 * capability dropped, and `--die-with-parent` so a crash of Dativo never leaves a tap behind.
 *
 * Deliberately not exposed: /etc (users, keys, hosts), /home, /root, /var, /run, the working
 * directory, the Docker socket. A granted network adds only what name resolution and TLS need.
 */
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { findOnPath } from './path.js';

export { findOnPath } from './path.js';
export { type LocalProcess, type LocalSpawnOptions, spawnLocal } from './process.js';

export interface Bind {
  /** Host path. */
  host: string;
  /** Path inside the sandbox (default: the same as on the host). */
  inside?: string;
}

export interface SandboxSpec {
  /** argv inside the sandbox; argv[0] must be visible in it (under /usr or a bind). */
  argv: string[];
  /** Read-only binds besides the system ones. */
  readOnly: Bind[];
  /** Share the host's network namespace (loopback included). Default: a private, empty one. */
  network?: boolean;
  /** Environment inside; empty by default. */
  env?: Record<string, string>;
  /** Working directory inside (default /tmp). */
  cwd?: string;
  /** Size of the private /tmp in MiB (default 64). */
  tmpMb?: number;
}

/** Top-level system paths that are links on merged-/usr systems (/bin → usr/bin). */
const USR_LINKS = ['/bin', '/sbin', '/lib', '/lib64', '/lib32', '/libx32'];
/** Files the dynamic loader and Python may read; harmless and present on every Debian host. */
const SYSTEM_FILES = ['/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/localtime'];
/** Added only with network: resolving names and verifying TLS. */
const NETWORK_FILES = [
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/nsswitch.conf',
  '/etc/ssl',
  '/etc/ca-certificates',
];

export function systemArgs(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const p of USR_LINKS) {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(p), p);
    else args.push('--ro-bind', p, p);
  }
  for (const f of SYSTEM_FILES) if (existsSync(f)) args.push('--ro-bind', f, f);
  return args;
}

/** The bwrap arguments (without the `bwrap` itself) for `spec`. */
export function bwrapArgs(spec: SandboxSpec): string[] {
  const args = [
    '--unshare-user',
    '--uid',
    '65534',
    '--gid',
    '65534',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname',
    'dativo-tap',
    '--die-with-parent',
    '--cap-drop',
    'ALL',
    '--clearenv',
  ];
  if (!spec.network) args.push('--unshare-net');
  args.push(...systemArgs());
  args.push('--proc', '/proc', '--dev', '/dev');
  args.push('--size', String((spec.tmpMb ?? 64) * 1024 * 1024), '--tmpfs', '/tmp');
  if (spec.network) for (const f of NETWORK_FILES) if (existsSync(f)) args.push('--ro-bind', f, f);
  for (const b of spec.readOnly) args.push('--ro-bind', b.host, b.inside ?? b.host);
  for (const [k, v] of Object.entries(spec.env ?? {})) args.push('--setenv', k, v);
  // bwrap builds the root as a writable tmpfs; nothing a tap writes there reaches the host, but a
  // read-only root leaves /tmp as the one writable place, as in the containers.
  args.push('--remount-ro', '/', '--chdir', spec.cwd ?? '/tmp', '--');
  return [...args, ...spec.argv];
}

/** The bwrap executable on PATH, or undefined. */
export function findBwrap(pathEnv = process.env.PATH ?? ''): string | undefined {
  return findOnPath('bwrap', pathEnv);
}
