/**
 * One Python plugin process: Deno + Pyodide inside bubblewrap (sandbox.ts), spoken to in frames
 * (protocol.ts). Requests go one at a time; while one runs, the runner's host calls (log, secret,
 * state_set) are answered here, each checked against the grant. Every request has the grant's time
 * limit, the process its memory limit (V8 heap flag + a resident-size watchdog) and the run its
 * output limit; breaking one kills the process group and fails the call with PLUGIN_ERROR naming
 * the limit, with an audit line, as in the Extism runtime.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { SecretLookup } from '../../config/secret-lookup.js';
import { DativoError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { masker } from '../../secrets/masker.js';
import type { Grant } from '../policy.js';
import { auditDenial } from '../policy.js';
import { writeAtomically } from './assets.js';
import { type PythonHttpArgs, pythonHttpCall } from './http-call.js';
import { encodeFrame, type Frame, FrameError, readFrames } from './protocol.js';
import type { PythonSandbox } from './sandbox.js';

/** What Pyodide itself occupies before any plugin code runs; the memory grant comes on top. */
export const RUNTIME_BASE_BYTES = 320 * 1024 * 1024;
/** Start-up (Pyodide from the snapshot, or made the first time) has its own allowance. */
const STARTUP_MS = 120_000;
const WATCH_MS = 100;

export interface PythonInstanceOptions {
  sandbox: PythonSandbox;
  grant: Grant;
  secrets?: SecretLookup;
  logger?: Logger;
  /** Snapshot file to write when the runner sends one (first start). */
  snapshotOut?: string;
  fetch?: typeof fetch;
}

interface Pending {
  resolve: (f: Frame) => void;
  reject: (e: Error) => void;
}

function residentBytes(pid: number): number {
  let total = 0;
  const walk = (p: number): void => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
      const kids = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').split(/\s+/).filter(Boolean);
      for (const k of kids) walk(Number(k));
    } catch {
      /* gone */
    }
  };
  walk(pid);
  return total;
}

export class PythonInstance {
  readonly plugin: string;
  private child: ChildProcess;
  private pending: Pending | undefined;
  private dead: Error | undefined;
  private outputBytes = 0;
  private logBytes = 0;
  private watchdog: NodeJS.Timeout;
  private stderrTail = '';
  /** The plugin's `state_set` values since start. */
  readonly stateSet: Record<string, unknown> = {};
  private readonly http: ReturnType<typeof pythonHttpCall>;
  /** Aborted when the process ends: an HTTP request of a dead plugin stops. */
  private readonly ended = new AbortController();

  private constructor(private readonly opts: PythonInstanceOptions) {
    this.plugin = opts.grant.plugin;
    this.http = pythonHttpCall(opts.grant, {
      logger: opts.logger,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
    const [cmd, ...args] = opts.sandbox.argv;
    this.child = spawn(cmd!, args, { env: {}, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (c: Buffer) => {
      this.stderrTail = (this.stderrTail + c.toString('utf8')).slice(-4000);
    });
    this.child.on('close', (code, signal) => {
      const why = this.dead ?? this.crashed(code, signal);
      this.dead = why;
      this.ended.abort();
      this.pending?.reject(why);
      this.pending = undefined;
      clearInterval(this.watchdog);
    });
    this.child.stdin?.on('error', () => {});
    const memLimit = RUNTIME_BASE_BYTES + opts.grant.memoryBytes;
    this.watchdog = setInterval(() => {
      const rss = this.child.pid ? residentBytes(this.child.pid) : 0;
      if (rss > memLimit)
        this.kill(
          'memory',
          `memory use reached ${Math.round(rss / 2 ** 20)} MiB, over the ${Math.round(memLimit / 2 ** 20)} MiB limit`,
        );
    }, WATCH_MS);
    this.watchdog.unref();
    void this.pump();
  }

  private crashed(code: number | null, signal: NodeJS.Signals | null): DativoError {
    const tail = masker.mask(this.stderrTail.trim().split('\n').slice(-5).join('\n'));
    return new DativoError(
      'PLUGIN_ERROR',
      `the Python runtime exited (${signal ?? `code ${code}`})${tail ? `: ${tail}` : ''}`,
      { location: { plugin: this.plugin } },
    );
  }

  /** Starts the process and waits until Pyodide is up and the plugin's files are in place. */
  static async start(opts: PythonInstanceOptions): Promise<PythonInstance> {
    const inst = new PythonInstance(opts);
    await inst.await('start-up', STARTUP_MS);
    return inst;
  }

  private async pump(): Promise<void> {
    const maxBody = this.opts.grant.outputBytes + 64 * 1024 * 1024; // room for a snapshot
    try {
      for await (const f of readFrames(this.child.stdout as AsyncIterable<Buffer>, maxBody)) {
        this.outputBytes += f.body.length;
        if (f.header.kind !== 'snapshot' && this.outputBytes > this.opts.grant.outputBytes) {
          this.kill('output', `output exceeded the ${this.opts.grant.outputBytes} byte limit`);
          return;
        }
        if (f.header.kind === 'call') this.answer(f);
        else if (f.header.kind === 'snapshot') {
          if (this.opts.snapshotOut) writeAtomically(this.opts.snapshotOut, f.body);
          this.outputBytes -= f.body.length;
        } else {
          const p = this.pending;
          this.pending = undefined;
          p?.resolve(f);
        }
      }
    } catch (e) {
      const message = e instanceof FrameError ? `sent a malformed frame: ${e.message}` : String(e);
      this.kill('output', message);
    }
  }

  private send(header: unknown, body?: Uint8Array): void {
    this.child.stdin?.write(encodeFrame(header, body));
  }

  /**
   * A host call from Python (synchronous on the Python side: it waits for this answer). HTTP is
   * answered when the request is done; nothing else can arrive meanwhile.
   */
  private answer(f: Frame): void {
    const op = String(f.header.op);
    const args = (f.header.args ?? {}) as Record<string, unknown>;
    if (op === 'http') {
      this.http(args as PythonHttpArgs, this.ended.signal).then(
        (r) => this.send(r),
        (e: unknown) => this.send({ ok: false, code: 'CONNECTION_FAILED', error: masker.mask(String(e)) }),
      );
      return;
    }
    this.send(this.reply(op, args));
  }

  private reply(op: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (op) {
      case 'log':
        return this.log(args);
      case 'secret':
        return this.secret(String(args.name ?? ''));
      case 'state_set':
        this.stateSet[String(args.key)] = args.value;
        return { ok: true };
      default:
        return { ok: false, error: `unknown host call ${op}` };
    }
  }

  private log(args: Record<string, unknown>): { ok: boolean } {
    const message = masker.mask(String(args.message ?? ''));
    this.logBytes += message.length;
    if (this.logBytes > this.opts.grant.logBytes) return { ok: false };
    const level = ['debug', 'info', 'warn', 'error'].includes(String(args.level))
      ? String(args.level)
      : 'info';
    this.opts.logger?.[level as 'info']({ plugin: this.plugin }, message);
    return { ok: true };
  }

  private secret(name: string): Record<string, unknown> {
    const { grant, logger } = this.opts;
    if (!grant.secrets.includes(name)) {
      // The Extism runtime's text (host-functions.ts), so a denial reads the same in both.
      const message = `plugin ${this.plugin}: secret "${name}" denied (capability secret, resource ${name}); granted secrets: ${grant.secrets.join(', ') || 'none'}`;
      auditDenial(logger, { plugin: this.plugin, capability: 'secret', resource: name, message });
      return { ok: false, error: message };
    }
    const value = this.opts.secrets?.get(name);
    if (value === undefined)
      return {
        ok: false,
        error: `plugin ${this.plugin}: secret "${name}" is granted but not set in the secret store`,
      };
    // Whatever the plugin does with it, the value never reaches a log line unmasked.
    masker.register(value);
    return { ok: true, value };
  }

  private kill(capability: 'timeout' | 'memory' | 'output', why: string): void {
    if (this.dead) return;
    const message = `${why} (capability ${capability}); the Python runtime was terminated`;
    auditDenial(this.opts.logger, { plugin: this.plugin, capability, resource: capability, message });
    this.dead = new DativoError('PLUGIN_ERROR', message, {
      location: { plugin: this.plugin },
      details: { capability },
    });
    this.ended.abort();
    this.terminate();
  }

  private terminate(): void {
    try {
      if (this.child.pid) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }

  private await(what: string, ms: number): Promise<Frame> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => this.kill('timeout', `${what} exceeded the ${ms} ms time limit`), ms);
      this.pending = {
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** One request; resolves with the result frame, rejects with the plugin's error. */
  async request(
    op: string,
    args: Record<string, unknown> = {},
  ): Promise<{ value: unknown; body: Uint8Array }> {
    if (this.pending)
      throw new DativoError('INTERNAL', `plugin ${this.plugin}: ${op} while a call is running`);
    const wait = this.await(`call ${op}`, this.opts.grant.timeoutMs);
    this.send({ op, ...args });
    const f = await wait;
    if (f.header.ok !== true) {
      throw new DativoError(
        'PLUGIN_ERROR',
        // No "plugin X:" prefix: the location names the plugin when the error is shown.
        `${op} failed: ${masker.mask(String(f.header.error ?? 'unknown error'))}`,
        { location: { plugin: this.plugin }, details: { call: op } },
      );
    }
    return { value: f.header.value, body: f.body };
  }

  async close(): Promise<void> {
    clearInterval(this.watchdog);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('close', () => r()));
    this.child.stdin?.end();
    const t = setTimeout(() => this.terminate(), 2000);
    await exited;
    clearTimeout(t);
    this.opts.sandbox.cleanup();
  }
}
