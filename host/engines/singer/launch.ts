/**
 * Starting a tap: a hardened container (docker/run.ts), a local executable under bubblewrap
 * (bwrap/), or, only when the job says `unsandboxed: true`, a plain child process. All three give
 * the same handle, and all three see the config directory: mounted read-only at /config in a
 * sandbox, at its host path otherwise.
 */
import path from 'node:path';
import { DativoError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { bwrapArgs, findBwrap, spawnLocal } from '../bwrap/index.js';
import { runContainer } from '../docker/index.js';
import type { ConnectorProcess } from '../protocol/process.js';
import type { SingerOptions } from './options.js';

export type TapHandle = ConnectorProcess;

export type Sandbox = 'docker' | 'bubblewrap' | 'none';

export function sandboxOf(opts: SingerOptions): Sandbox {
  if (opts.launch.kind === 'docker') return 'docker';
  return opts.launch.sandboxed ? 'bubblewrap' : 'none';
}

const MOUNT = '/config';

/** Where the tap sees the config directory. */
export function configPathInside(opts: SingerOptions, hostDir: string): string {
  return sandboxOf(opts) === 'none' ? hostDir : MOUNT;
}

export interface StartOptions {
  /** Host path of the config directory. */
  configDir: string;
  /** Singer flags, with paths as the tap sees them (see configPathInside). */
  flags: string[];
  logger: Logger;
  label: string;
}

export async function startTap(opts: SingerOptions, start: StartOptions): Promise<TapHandle> {
  const onStderrLine = (line: string): void => start.logger.info({ tap: start.label, stderr: line }, line);
  const l = opts.launch;
  if (l.kind === 'docker') {
    return runContainer(
      {
        image: l.image,
        ...(l.digest ? { digest: l.digest } : {}),
        pull: 'missing',
        imageKeyPath: 'source.engine.options.singer.image',
        args: [...opts.args, ...start.flags],
        network: opts.network ? 'host' : 'none',
        configDir: start.configDir,
        configMount: MOUNT,
        limits: {
          ...(opts.limits.memoryMb ? { memoryMb: opts.limits.memoryMb } : {}),
          ...(opts.limits.cpus ? { cpus: opts.limits.cpus } : {}),
          ...(opts.limits.pids ? { pids: opts.limits.pids } : {}),
        },
      },
      { onStderrLine },
    );
  }
  const argv = [l.executable, ...opts.args, ...start.flags];
  if (!l.sandboxed) {
    start.logger.warn(
      { event: 'singer_unsandboxed', executable: l.executable },
      `singer: running ${l.executable} WITHOUT a sandbox (unsandboxed: true): it can read and reach whatever this user can`,
    );
    return spawnLocal(argv, {
      sandboxed: false,
      onStderrLine,
      cwd: l.cwd ?? start.configDir,
      ...(l.env ? { env: l.env } : {}),
    });
  }
  const bwrap = findBwrap();
  if (!bwrap)
    throw new DativoError(
      'ENGINE_UNAVAILABLE',
      'singer: bubblewrap (bwrap) is not installed, and local taps run inside it; install it ' +
        '(sudo apt-get update && sudo apt-get install bubblewrap, or scripts/services/start-bwrap.sh), or set ' +
        'source.engine.options.singer.unsandboxed: true to run the tap without a sandbox',
    );
  const args = bwrapArgs({
    argv,
    readOnly: [
      // The tap's own folder (a script next to its modules; a venv's bin/ needs `mounts` for the rest).
      { host: path.dirname(l.executable) },
      ...opts.mounts.map((m) => ({ host: m })),
      { host: start.configDir, inside: MOUNT },
    ],
    network: opts.network,
  });
  return spawnLocal([bwrap, ...args], { sandboxed: true, onStderrLine });
}
