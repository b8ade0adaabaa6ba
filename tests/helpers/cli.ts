/** Run the built CLI as a subprocess, the way users run it. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/dativo.js', import.meta.url));
/** The CLI with the crash-safety fault hooks installed (see crash-cli.mjs). */
export const CRASH_BIN = fileURLToPath(new URL('./crash-cli.mjs', import.meta.url));

/** The entry point to spawn: the test one when the env asks for a crash, the shipped one otherwise. */
export function entryFor(env: Record<string, string | undefined> = {}): string {
  return env.DATIVO_TEST_CRASH_AT ? CRASH_BIN : BIN;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entryFor(opts.env), ...args], {
      cwd: opts.cwd ?? REPO,
      env: cliEnv(opts.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The JSON report printed by `--json` (loosely typed: tests assert on its fields). */
// biome-ignore lint/suspicious/noExplicitAny: a test reads arbitrary report fields
export function reportOf(r: CliResult): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`no JSON report on stdout (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}
