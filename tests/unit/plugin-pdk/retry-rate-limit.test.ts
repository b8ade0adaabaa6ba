import { describe, expect, it } from 'vitest';
import { PluginError } from '../../../plugin-pdk/ts/src/errors.js';
import { RateLimiter } from '../../../plugin-pdk/ts/src/rate-limit.js';
import { retryAfterMs, withRetry } from '../../../plugin-pdk/ts/src/retry.js';
import { scriptedSend } from './fake-send.js';

const URL_ = 'https://api.example.com/x';
const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('withRetry', () => {
  it('retries 429 and 5xx, waiting what Retry-After says, else backoff with jitter', () => {
    const { send, requests } = scriptedSend([
      { status: 429, headers: { 'retry-after': '2' } },
      { status: 500 },
      { status: 503, headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' } },
      { status: 200, body: 'ok' },
    ]);
    const waits: number[] = [];
    const r = withRetry(send, {
      sleep: (ms) => waits.push(ms),
      now: () => NOW,
      random: () => 0.5,
      baseDelayMs: 100,
    })({
      url: URL_,
    });
    expect(r.status).toBe(200);
    expect(requests).toHaveLength(4);
    // 2 s asked; attempt 1 backoff 0.5 × 100·2¹; an HTTP date 5 s ahead.
    expect(waits).toEqual([2000, 100, 5000]);
  });

  it('returns the last response after maxRetries, and at once when Retry-After asks for more than maxDelayMs', () => {
    const a = scriptedSend([{ status: 502 }, { status: 502 }, { status: 502 }]);
    const waits: number[] = [];
    expect(
      withRetry(a.send, { maxRetries: 2, sleep: (ms) => waits.push(ms), random: () => 1 })({ url: URL_ })
        .status,
    ).toBe(502);
    expect(a.requests).toHaveLength(3);
    expect(waits).toEqual([500, 1000]);
    const b = scriptedSend([{ status: 429, headers: { 'retry-after': '120' } }]);
    expect(
      withRetry(b.send, { maxDelayMs: 30_000, sleep: () => expect.unreachable() })({ url: URL_ }).status,
    ).toBe(429);
  });

  it('does not retry other statuses; retries a host failure only when it is retryable', () => {
    const a = scriptedSend([{ status: 404 }]);
    expect(withRetry(a.send, { sleep: () => expect.unreachable() })({ url: URL_ }).status).toBe(404);
    let calls = 0;
    const flaky = () => {
      calls++;
      if (calls < 3) throw new PluginError('CONNECTION_FAILED', 'reset', true);
      return scriptedSend([{ status: 200 }]).send({ url: URL_ });
    };
    expect(withRetry(flaky, { sleep: () => {} })({ url: URL_ }).status).toBe(200);
    expect(calls).toBe(3);
    const denied = () => {
      throw new PluginError('PLUGIN_DENIED', 'host not granted', false);
    };
    expect(() => withRetry(denied, { sleep: () => expect.unreachable() })({ url: URL_ })).toThrow(
      'host not granted',
    );
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates; past dates are 0; junk is undefined', () => {
    expect(retryAfterMs('3', NOW)).toBe(3000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:10 GMT', NOW)).toBe(10_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 00:00:00 GMT', NOW)).toBe(0);
    expect(retryAfterMs('soon', NOW)).toBeUndefined();
    expect(retryAfterMs('-1', NOW)).toBeUndefined();
    expect(retryAfterMs(undefined, NOW)).toBeUndefined();
  });
});

describe('RateLimiter', () => {
  it('lets `burst` through, then spaces requests 1/perSecond apart', () => {
    let t = 0;
    const waits: number[] = [];
    const limiter = new RateLimiter({
      perSecond: 4,
      burst: 2,
      now: () => t,
      sleep: (ms) => {
        waits.push(ms);
        t += ms;
      },
    });
    for (let i = 0; i < 5; i++) limiter.acquire();
    expect(waits).toEqual([250, 250, 250]);
    t += 1000; // idle: the bucket refills to burst, not beyond
    limiter.acquire();
    limiter.acquire();
    limiter.acquire();
    expect(waits).toEqual([250, 250, 250, 250]);
  });

  it('wrap() takes a token before each request; perSecond must be positive', () => {
    const { send, requests } = scriptedSend([{ status: 200 }, { status: 200 }]);
    let slept = 0;
    const limited = new RateLimiter({ perSecond: 1, now: () => 0, sleep: (ms) => (slept += ms) }).wrap(send);
    limited({ url: URL_ });
    limited({ url: URL_ });
    expect(requests).toHaveLength(2);
    expect(slept).toBe(1000);
    expect(() => new RateLimiter({ perSecond: 0 })).toThrow('perSecond must be above 0 (got 0)');
  });
});
