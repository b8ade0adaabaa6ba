/**
 * The worker side of the plugin call channel (`extism/protocol.ts`), shared by the Extism worker
 * and the component worker. Those two differ only in how a call reaches the guest; the channel
 * (results wake the host thread, calls are taken off the port without an event-loop turn), the
 * blocking HTTP bridge and the bookkeeping around a call (stats, denials, failure results) are
 * the same and live here. This module has no side effects, so both workers can import it (the
 * workers themselves cannot import each other: loading one starts its worker).
 */
import { type MessagePort, parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { HostLimitError } from './extism/budget.js';
import type { HostEnv, HostState } from './extism/host-functions.js';
import {
  type CallMessage,
  type CallResult,
  type CallStats,
  CTL_CALLS,
  CTL_RESULTS,
  type FailureKind,
  type FromWorker,
  type PluginErrorInfo,
  type ToWorker,
} from './extism/protocol.js';
import type { HttpOutcome, HttpRequest } from './http-policy.js';

/** How long the call loop polls for the next call before it sleeps (ms). */
const SPIN_MS = 0.05;

/** Messages to the host thread: on the parent port until `ready`, then on the call channel. */
export class WorkerChannel {
  /** After `ready`, everything goes out on the call channel (in order with the results). */
  private out: { port: MessagePort; ctl: Int32Array } | undefined;

  constructor(private readonly parent: MessagePort) {}

  /** The parent port of this worker thread; fails outside one (the module is a worker entry). */
  static ofThisThread(who: string): WorkerChannel {
    if (!parentPort) throw new Error(`${who} must run inside a worker thread`);
    return new WorkerChannel(parentPort);
  }

  /** Messages from the host thread on the parent port (`init`; calls come on the call channel). */
  onMessage(handler: (msg: ToWorker) => void): void {
    this.parent.on('message', handler);
  }

  post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
    if (!this.out) {
      this.parent.postMessage(msg, transfer);
      return;
    }
    this.out.port.postMessage(msg, transfer);
    // Results wake the host thread; logs and denials ride along and are drained with them.
    if (msg.type === 'result') {
      Atomics.add(this.out.ctl, CTL_RESULTS, 1);
      Atomics.notify(this.out.ctl, CTL_RESULTS);
    }
  }

  /** A result, its output's buffer transferred when the output owns it whole. */
  postResult(result: CallResult): void {
    const o = result.ok ? result.output : null;
    const whole = o && o.byteOffset === 0 && o.byteLength === o.buffer.byteLength;
    this.post(result, whole ? [o.buffer as ArrayBuffer] : []);
  }

  /** Switch to the call channel (after `ready`) and run calls off it, one at a time, in order. */
  serve(callPort: MessagePort, ctl: SharedArrayBuffer, run: (msg: CallMessage) => unknown): void {
    const counters = new Int32Array(ctl);
    this.out = { port: callPort, ctl: counters };
    void serveCalls(callPort, counters, run);
  }
}

/**
 * The call loop: block on the counter, take the call off the port synchronously, run it. No
 * event-loop turn per call on this side. `terminate()` from the host still ends the thread
 * (V8 wakes Atomics.wait for termination; the 1 s timeout is a second guarantee).
 */
async function serveCalls(
  callPort: MessagePort,
  ctl: Int32Array,
  run: (msg: CallMessage) => unknown,
): Promise<void> {
  for (;;) {
    const seen = Atomics.load(ctl, CTL_CALLS);
    const m = receiveMessageOnPort(callPort);
    if (!m) {
      // Calls come in bursts (a batch loop): poll briefly before sleeping, since a futex wake on a
      // VM costs tens of µs; then sleep until the host bumps the counter.
      const until = performance.now() + SPIN_MS;
      while (Atomics.load(ctl, CTL_CALLS) === seen && performance.now() < until);
      if (Atomics.load(ctl, CTL_CALLS) === seen) Atomics.wait(ctl, CTL_CALLS, seen, 1000);
      continue;
    }
    await run(m.message as CallMessage);
  }
}

/**
 * `HostEnv.http` for a worker: the host thread does the request (policy, audit, abort) and this
 * thread blocks until the reply, since host functions are synchronous.
 */
export function blockingHttp(hostPort: MessagePort, flag: Int32Array) {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  return (req: HttpRequest, body: Uint8Array | undefined, maxBytes: number): HttpOutcome => {
    Atomics.store(flag, 0, 0);
    hostPort.postMessage({ type: 'http', req, body, maxBytes });
    // The host thread answers on hostPort, then flips the flag. The per-call timeout still
    // applies: if the host gives up on us it terminates this thread while we wait here.
    while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0, 1000);
    let reply = receiveMessageOnPort(hostPort);
    // The flag is set right after the reply is posted; give the port a moment if it lags.
    for (let i = 0; !reply && i < 1000; i++) {
      Atomics.wait(sleeper, 0, 0, 1);
      reply = receiveMessageOnPort(hostPort);
    }
    const outcome = (reply?.message as { outcome: HttpOutcome } | undefined)?.outcome;
    return (
      outcome ?? { ok: false, error: { code: 'INTERNAL', message: 'no reply from host', retryable: true } }
    );
  };
}

/** How each runtime gets a call into its guest and sorts the ways it can fail. */
export interface CallRunner {
  /** Run the export; the output bytes (or null). May read what host functions left in `st`. */
  invoke(msg: CallMessage): Promise<Uint8Array | null> | Uint8Array | null;
  classify(e: unknown, plugin: string, fn: string): { kind: FailureKind; error: PluginErrorInfo };
  /** Release what the call allocated (kernel blocks, argument memory); runs whatever happened. */
  cleanup(): Promise<void> | void;
}

/** Run one call with the shared bookkeeping: timing, stats, denials and the failure result. */
export async function runCall(
  msg: CallMessage,
  env: HostEnv,
  st: HostState,
  runner: CallRunner,
): Promise<CallResult> {
  resetCall(st);
  let callMs = 0;
  const stats = (): CallStats => ({
    kernelPeakBytes: env.budget.peak,
    outputBytes: st.outputUsed,
    logsDropped: st.logsDropped,
    logBytesDropped: st.logBytesDropped,
    logBytes: st.logBytes,
    callMs,
  });
  try {
    const t0 = performance.now();
    const output = await runner.invoke(msg);
    callMs = performance.now() - t0;
    if (st.fatal) throw st.fatal;
    // A denied attempt fails the call even when the plugin carries on regardless.
    if (st.denial) throw new HostLimitError('host', st.denial.resource, st.denial.message);
    return { type: 'result', id: msg.id, ok: true, output, state: { ...env.state }, stats: stats() };
  } catch (err) {
    return failedResult(msg.id, st.fatal ?? err, env, st, runner, msg.fn, stats());
  } finally {
    await runner.cleanup();
    env.budget.resetBlocks();
  }
}

function failedResult(
  id: number,
  cause: unknown,
  env: HostEnv,
  st: HostState,
  runner: CallRunner,
  fn: string,
  stats: CallStats,
): CallResult {
  const c = runner.classify(cause, env.grant.plugin, fn);
  const base = { type: 'result' as const, id, ok: false as const, state: { ...env.state }, stats };
  if (st.denial) {
    const error = { code: 'PLUGIN_DENIED', message: st.denial.message, retryable: false };
    return { ...base, kind: 'denied', error, denial: st.denial };
  }
  const result: CallResult = { ...base, kind: c.kind, error: c.error };
  if (cause instanceof HostLimitError && cause.capability !== 'host') {
    result.denial = {
      plugin: env.grant.plugin,
      capability: cause.capability,
      resource: cause.resource,
      message: cause.message,
    };
  }
  return result;
}

function resetCall(s: HostState): void {
  s.outputCopy = undefined;
  s.lastError = undefined;
  s.fatal = undefined;
  s.denial = undefined;
  s.logsThisCall = 0;
}
