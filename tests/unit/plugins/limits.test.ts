/**
 * The grant's numbers: min(manifest request, job allow ?? host default, host maximum), for the
 * instance limits and every HTTP setting (docs/security.md has the table these assert).
 */
import { describe, expect, it } from 'vitest';
import { HTTP_LIMITS, PLUGIN_LIMITS } from '../../../host/plugins/limits.js';
import { manifestSchema } from '../../../host/plugins/manifest.js';
import { computeGrant } from '../../../host/plugins/policy.js';

const MB = 1024 * 1024;

function manifest(capabilities: Record<string, unknown>) {
  return manifestSchema.parse({
    name: 'greedy',
    version: '1.0.0',
    role: 'reader',
    runtime: 'extism',
    abi: '1.0',
    entry: { file: 'plugin.wasm', sha256: 'a'.repeat(64) },
    capabilities,
  });
}

const silent = { hosts: [], secrets: [] };

describe('instance limits', () => {
  it('a silent job gives the host defaults, whatever the manifest asks', () => {
    const g = computeGrant(
      manifest({ memory_mb: 65536, timeout_ms: 600_000, output_mb: 100_000 }),
      silent,
      undefined,
    );
    expect(g.memoryBytes).toBe(64 * MB);
    expect(g.kernelBytes).toBe(64 * MB);
    expect(g.timeoutMs).toBe(30_000);
    expect(g.outputBytes).toBe(256 * MB);
    expect(g.logBytes).toBe(1 * MB);
  });

  it('a job allow above the host maximum is cut to the maximum', () => {
    const g = computeGrant(
      manifest({ memory_mb: 65536, timeout_ms: 600_000, output_mb: 100_000 }),
      { ...silent, memoryMb: 65536, timeoutMs: 3_600_000, outputMb: 1_000_000, logMb: 4096 },
      undefined,
    );
    expect(g.memoryBytes).toBe(PLUGIN_LIMITS.memory_mb.max * MB);
    expect(g.timeoutMs).toBe(PLUGIN_LIMITS.timeout_ms.max);
    expect(g.outputBytes).toBe(PLUGIN_LIMITS.output_mb.max * MB);
    expect(g.logBytes).toBe(PLUGIN_LIMITS.log_mb.max * MB);
  });

  it('the manifest asking less than the job allows gets what it asked; sandbox bounds both', () => {
    const g = computeGrant(
      manifest({ memory_mb: 8, timeout_ms: 500 }),
      { ...silent, memoryMb: 512, timeoutMs: 10_000, logMb: 2 },
      { memoryLimit: '4m' },
    );
    expect(g.memoryBytes).toBe(4 * MB);
    expect(g.timeoutMs).toBe(500);
    expect(g.logBytes).toBe(2 * MB);
  });
});

describe('HTTP policy', () => {
  const greedyHttp = {
    memory_mb: 512,
    timeout_ms: 20_000,
    http: {
      max_response_mb: 100_000,
      request_timeout_ms: 600_000,
      max_retries: 10,
      max_delay_ms: 600_000,
      initial_delay_ms: 60_000,
      methods: ['GET', 'POST', 'DELETE'],
      rate_per_second: 0,
    },
  };

  it('a silent job: each setting is the host default, the request timeout at most the call time', () => {
    const { http } = computeGrant(manifest(greedyHttp), silent, undefined);
    expect(http).toEqual({
      methods: ['GET', 'POST', 'DELETE'],
      max_response_mb: HTTP_LIMITS.max_response_mb.default,
      request_timeout_ms: 20_000, // the call's 20 s (memory and time: defaults 64 MiB, 30 s → 20 s asked)
      max_retries: HTTP_LIMITS.max_retries.default,
      initial_delay_ms: HTTP_LIMITS.initial_delay_ms.default,
      max_delay_ms: HTTP_LIMITS.max_delay_ms.default,
      max_redirects: HTTP_LIMITS.max_redirects.default,
      rate_per_second: 0,
    });
  });

  it('the job bounds each setting; the memory grant bounds the response size', () => {
    const { http } = computeGrant(
      manifest(greedyHttp),
      {
        ...silent,
        memoryMb: 32,
        http: {
          max_response_mb: 200,
          max_retries: 1,
          methods: ['GET'],
          rate_per_second: 5,
          request_timeout_ms: 1000,
        },
      },
      undefined,
    );
    expect(http.max_response_mb).toBe(32);
    expect(http.max_retries).toBe(1);
    expect(http.methods).toEqual(['GET']);
    expect(http.rate_per_second).toBe(5);
    expect(http.request_timeout_ms).toBe(1000);
  });
});
