/**
 * Plumbing for the hostile-module tests: build a WAT module (its source is written beside the
 * built module, in the plugin's folder), package it with a manifest, write a job around it, and
 * run the built CLI while measuring it from outside: wall time and peak RSS (VmHWM from
 * /proc/<pid>/status, polled; it covers the plugin worker threads, which share the process).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { appendCustomSection } from '../../../host/plugins/wasm-module.js';
import { BIN, cliEnv, REPO } from '../../helpers/cli.js';

const HERE = path.join(REPO, 'tests', 'security', 'hostile');

/** Bytes as a WAT string literal body ("\xx" escapes). */
export function watString(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
}

/**
 * A plugin folder: `plugin.wat` (the hostile source, `{{KEY}}` placeholders filled from `fill`),
 * `plugin.wasm` built from it with wat2wasm and stamped with the ABI section, and its manifest.
 */
export function hostilePlugin(
  wat: string,
  manifest: { name: string; capabilities?: Record<string, unknown> },
  fill: Record<string, string> = {},
): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dativo-hostile-${manifest.name}-`));
  let source = readFileSync(path.join(HERE, wat), 'utf8');
  for (const [k, v] of Object.entries(fill)) source = source.split(`{{${k}}}`).join(v);
  writeFileSync(path.join(dir, 'plugin.wat'), source);
  execFileSync('wat2wasm', [path.join(dir, 'plugin.wat'), '-o', path.join(dir, 'raw.wasm')]);
  const wasm = appendCustomSection(
    readFileSync(path.join(dir, 'raw.wasm')),
    'dativo_abi',
    new TextEncoder().encode('1.0'),
  );
  writeFileSync(path.join(dir, 'plugin.wasm'), wasm);
  writeFileSync(
    path.join(dir, 'dativo-plugin.yaml'),
    stringify({
      name: manifest.name,
      version: '0.1.0',
      role: 'reader',
      runtime: 'extism',
      abi: '1.0',
      entry: { file: 'plugin.wasm', sha256: createHash('sha256').update(wasm).digest('hex') },
      capabilities: manifest.capabilities ?? {},
    }),
  );
  return dir;
}

export interface HostileJob {
  /** The job file. */
  file: string;
  /** target.connection.path: nothing may appear here on failure. */
  out: string;
  stateDir: string;
  dir: string;
}

/** A job reading from the plugin into local Parquet, validated against `plugin_rows` (id, name). */
export function hostileJob(
  pluginDir: string,
  allow: Record<string, unknown> = {},
  sourceExtra: Record<string, unknown> = {},
): HostileJob {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dativo-hostile-job-'));
  const out = path.join(dir, 'out');
  const stateDir = path.join(dir, 'state');
  mkdirSync(out);
  const file = path.join(dir, 'job.yaml');
  writeFileSync(
    file,
    stringify({
      tenant_id: 'test_tenant',
      source_connector_path: 'connectors/csv.yaml',
      target_connector_path: 'connectors/local.yaml',
      asset_path: path.join(REPO, 'tests/fixtures/contracts/plugin_rows.yaml'),
      source: { plugin: { path: pluginDir, allow }, ...sourceExtra },
      target: { connection: { path: out } },
    }),
  );
  return { file, out, stateDir, dir };
}

export interface Measured {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Peak resident set of the CLI process, MiB (VmHWM). */
  peakRssMb: number;
  /** When each signal was sent, ms after start. */
  signalledAtMs: number[];
}

function vmHwmKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // exited between polls
  }
}

/**
 * Runs `dativo run --config <job> --json` and measures it. `signalOn`: once stderr shows `text`
 * (e.g. a plugin's log line: its call is running), send `signals`, 1 ms apart. Killed with
 * SIGKILL after `killAfterMs`.
 */
export function runMeasured(
  job: HostileJob,
  opts: {
    env?: Record<string, string>;
    signalOn?: { text: string; signals: NodeJS.Signals[] };
    killAfterMs?: number;
  } = {},
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [BIN, 'run', '--config', job.file, '--state-dir', job.stateDir, '--json'],
      { cwd: REPO, env: cliEnv(opts.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    const signalledAtMs: number[] = [];
    const timers: NodeJS.Timeout[] = [];
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      const on = opts.signalOn;
      if (on && signalledAtMs.length === 0 && timers.length === 0 && stderr.includes(on.text)) {
        on.signals.forEach((sig, i) => {
          timers.push(
            setTimeout(() => {
              signalledAtMs.push(performance.now() - t0);
              child.kill(sig);
            }, i),
          );
        });
      }
    });
    const poll = setInterval(() => {
      peakKb = Math.max(peakKb, vmHwmKb(child.pid as number));
    }, 20);
    const killer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 90_000);
    child.on('error', reject);
    child.on('exit', () => {
      peakKb = Math.max(peakKb, vmHwmKb(child.pid as number));
    });
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(killer);
      for (const t of timers) clearTimeout(t);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        wallMs: performance.now() - t0,
        peakRssMb: peakKb / 1024,
        signalledAtMs,
      });
    });
  });
}

/** Every file below `dir`, recursively. */
export function filesBelow(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesBelow(p));
    else out.push(p);
  }
  return out;
}

/** The secret as written, reversed, and hex-encoded (lower and upper case). */
export function secretForms(secret: string): string[] {
  const hex = Buffer.from(secret).toString('hex');
  return [secret, [...secret].reverse().join(''), hex, hex.toUpperCase()];
}

/** The JSON report on stdout (the run prints it with --json). */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary report fields
export function report(r: Measured): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(
      `no JSON report (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(-4000)}`,
    );
  }
}
