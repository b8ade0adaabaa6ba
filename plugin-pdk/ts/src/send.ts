/**
 * What the HTTP helpers send through and keep state in. In a plugin these are the host's
 * `request` and `state` (index.ts installs them); the helpers never import the host module
 * themselves, so they run unchanged in Node for their unit tests, with a fake `send`.
 */
import type { HttpRequest, HttpResponse } from './host.js';

/** One HTTP exchange: the PDK's `request`, or a helper wrapped around it. */
export type Send = (req: HttpRequest) => HttpResponse;

export interface StateStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

const installed: { send?: Send; state?: StateStore } = {};

/** Called once by the PDK's entry module with the host's functions. */
export function installHost(send: Send, state: StateStore): void {
  installed.send = send;
  installed.state = state;
}

export function hostSend(): Send {
  if (!installed.send) throw new Error('no host HTTP here: pass `send` to the helper');
  return installed.send;
}

export function hostState(): StateStore {
  if (!installed.state) throw new Error('no host state here: pass `store` to the helper');
  return installed.state;
}

/** A copy of `req` with query parameters set (others kept). */
export function withQuery(req: HttpRequest, params: Record<string, string | number>): HttpRequest {
  const url = new URL(req.url);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  return { ...req, url: url.toString() };
}

/**
 * The wait between attempts. World 1.1 gives a component no way to sleep (its pollables are
 * always ready), so this spins on the monotonic clock; the per-call `timeout_ms` still applies.
 */
export function sleepMs(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // waiting
  }
}
