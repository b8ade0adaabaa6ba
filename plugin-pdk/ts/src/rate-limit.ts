/**
 * A token bucket in front of `send` (RateLimitMixin): at most `perSecond` requests a second on
 * average, `burst` at once. The host's `rate_per_second` (capabilities.http) limits the whole
 * plugin; this one is for a limit the API publishes per endpoint.
 */
import type { HttpRequest, HttpResponse } from './host.js';
import { type Send, sleepMs } from './send.js';

export interface RateLimiterOptions {
  perSecond: number;
  /** Requests allowed back to back before the rate applies (default 1). */
  burst?: number;
  now?: () => number;
  sleep?: (ms: number) => void;
}

export class RateLimiter {
  private readonly perMs: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => void;
  private tokens: number;
  private last: number;

  constructor(opts: RateLimiterOptions) {
    if (!(opts.perSecond > 0)) throw new RangeError(`RateLimiter: perSecond must be above 0 (got ${opts.perSecond})`);
    this.perMs = opts.perSecond / 1000;
    this.burst = Math.max(1, opts.burst ?? 1);
    this.now = opts.now ?? (() => performance.now());
    this.sleep = opts.sleep ?? sleepMs;
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** Wait until a request may go, and take its token. */
  acquire(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (t - this.last) * this.perMs);
    this.last = t;
    if (this.tokens < 1) {
      const wait = (1 - this.tokens) / this.perMs;
      this.sleep(wait);
      this.tokens = 1;
      this.last = t + wait;
    }
    this.tokens -= 1;
  }

  wrap(send: Send): Send {
    return (req: HttpRequest): HttpResponse => {
      this.acquire();
      return send(req);
    };
  }
}
