/**
 * A local child process with the shape engines expect of a container (see docker/run.ts): stdout
 * as a pull-based byte stream, a bounded masked stderr tail, wait(), and a stop() that sends SIGTERM
 * and SIGKILLs after a grace period.
 *
 * The child runs in its own process group. Under bubblewrap SIGTERM must not go to bwrap itself
 * (it would exit at once and `--die-with-parent` would SIGKILL the tap, with no chance to finish),
 * nor to the sandbox's PID 1 (an init without handlers drops it), so stop() signals the
 * processes below the sandbox's init; SIGKILL then goes to the whole group.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DativoError } from '../../errors.js';
import { masker } from '../../secrets/masker.js';
import type { ConnectorExit, ConnectorProcess } from '../protocol/process.js';

export type LocalExit = ConnectorExit;

export interface LocalProcess extends ConnectorProcess {
  readonly pid: number;
}

export interface LocalSpawnOptions {
  /** Environment of the child: empty unless given (also for unsandboxed runs). */
  env?: Record<string, string>;
  cwd?: string;
  /** True when argv runs bwrap: stop() then signals the processes inside the sandbox. */
  sandboxed: boolean;
  onStderrLine?: (line: string) => void;
  stderrTailBytes?: number;
}

const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGKILL: 9,
  SIGTERM: 15,
  SIGSEGV: 11,
  SIGABRT: 6,
};

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** bwrap → the sandbox's init → the tap (and anything it started). */
function sandboxedProcesses(bwrapPid: number): number[] {
  const out: number[] = [];
  const walk = (pid: number): void => {
    for (const c of childrenOf(pid)) {
      out.push(c);
      walk(c);
    }
  };
  for (const init of childrenOf(bwrapPid)) walk(init);
  return out;
}

export function spawnLocal(argv: string[], opts: LocalSpawnOptions): LocalProcess {
  const [cmd, ...args] = argv;
  if (!cmd) throw new DativoError('INTERNAL', 'spawnLocal: empty argv');
  const child: ChildProcess = spawn(cmd, args, {
    env: opts.env ?? {},
    cwd: opts.cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid ?? -1;
  const tailMax = opts.stderrTailBytes ?? 16 * 1024;
  let tail = '';
  let partial = '';
  let killed = false;
  let stopping: Promise<void> | undefined;
  let spawnError: Error | undefined;

  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-tailMax);
    if (!opts.onStderrLine) return;
    const parts = (partial + text).split('\n');
    partial = (parts.pop() ?? '').slice(-tailMax);
    for (const p of parts) if (p.length > 0) opts.onStderrLine(masker.mask(p));
  });

  const exited = new Promise<LocalExit>((resolve) => {
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (code, signal) => {
      if (partial && opts.onStderrLine) opts.onStderrLine(masker.mask(partial));
      partial = '';
      const exitCode = code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 0) : 0);
      resolve({ exitCode: spawnError ? 127 : exitCode, oomKilled: false, killed });
    });
  });

  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* already gone */
    }
  };

  async function* stdout(): AsyncGenerator<Buffer> {
    if (!child.stdout) return;
    for await (const chunk of child.stdout) yield chunk as Buffer;
    if (spawnError) {
      throw new DativoError('PLUGIN_ERROR', `cannot start ${cmd}: ${spawnError.message}`, {
        cause: spawnError,
      });
    }
  }

  const stop = (graceMs: number): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null || pid < 0) return;
      if (opts.sandboxed) {
        for (const p of sandboxedProcesses(pid)) {
          try {
            process.kill(p, 'SIGTERM');
          } catch {
            /* gone */
          }
        }
      } else signalGroup('SIGTERM');
      const done = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref()),
      ]);
      if (!done) {
        killed = true;
        signalGroup('SIGKILL');
      }
      await exited;
      child.stdout?.destroy();
    })();
    return stopping;
  };

  return {
    pid,
    stdout: stdout(),
    stderrTail: () => masker.mask(tail),
    wait: () => exited,
    stop,
    async remove() {
      await stop(0);
    },
  };
}
