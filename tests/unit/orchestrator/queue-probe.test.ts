import { describe, expect, it } from 'vitest';
import { probeRedis, shownRedisUrl } from '../../../host/orchestrator/queue.js';

describe('queue start-up', () => {
  it('fails fast with CONNECTION_FAILED when Redis is unreachable, without the password in the message', async () => {
    const err = await probeRedis('redis://user:hunter2@127.0.0.1:1', 5000).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string; retryable: boolean },
    );
    expect(err?.code).toBe('CONNECTION_FAILED');
    expect(err?.retryable).toBe(true);
    expect(err?.message).toContain('cannot reach Redis at redis://127.0.0.1:1: ');
    expect(err?.message).toContain('ECONNREFUSED');
    expect(err?.message).not.toContain('hunter2');
    expect(shownRedisUrl('rediss://:pw@cache.internal:6380/2')).toBe('rediss://cache.internal:6380/2');
  });
});
