/**
 * Retry with exponential backoff and full jitter, honouring Retry-After (RetryMixin). The host
 * already retries 429/502/503/504 for idempotent requests per the manifest's capabilities.http;
 * this is for what it does not retry (a 500, a POST the API says is safe to repeat).
 */
import { errorRecordOf } from './errors.js';
import type { HttpRequest, HttpResponse } from './host.js';
import { type Send, sleepMs } from './send.js';

export interface RetryOptions {
  /** Attempts after the first (default 3). */
  maxRetries?: number;
  /** Backoff base: attempt n waits a random time up to baseDelayMs·2ⁿ (default 500). */
  baseDelayMs?: number;
  /** No wait is longer; a Retry-After asking for more ends the retries (default 30000). */
  maxDelayMs?: number;
  /** Statuses worth another attempt (default 429 and 500, 502, 503, 504). */
  retryOn?: number[];
  sleep?: (ms: number) => void;
  now?: () => number;
  random?: () => number;
}

/** Retry-After as milliseconds from `nowMs`: delta-seconds or an HTTP date; undefined if absent or unreadable. */
export function retryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return secs >= 0 ? secs * 1000 : undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * A `send` that tries again on the `retryOn` statuses and on host failures marked retryable
 * (connection failures). After the last attempt the response is returned (or the failure thrown)
 * as is, so the caller decides what a final 429 means.
 */
export function withRetry(send: Send, opts: RetryOptions = {}): Send {
  const maxRetries = opts.maxRetries ?? 3;
  const base = opts.baseDelayMs ?? 500;
  const maxDelay = opts.maxDelayMs ?? 30_000;
  const retryOn = new Set(opts.retryOn ?? [429, 500, 502, 503, 504]);
  const sleep = opts.sleep ?? sleepMs;
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const backoff = (attempt: number) => random() * Math.min(maxDelay, base * 2 ** attempt);

  return (req: HttpRequest): HttpResponse => {
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse;
      try {
        res = send(req);
      } catch (e) {
        if (attempt >= maxRetries || errorRecordOf(e)?.retryable !== true) throw e;
        sleep(backoff(attempt));
        continue;
      }
      if (!retryOn.has(res.status) || attempt >= maxRetries) return res;
      const asked = retryAfterMs(res.headers['retry-after'], now());
      if (asked !== undefined && asked > maxDelay) return res;
      sleep(asked ?? backoff(attempt));
    }
  };
}
