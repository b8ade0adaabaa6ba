/**
 * The runner config's queue, metrics and tracing sections: the queue keys map onto the queue
 * executor's options (named like `dativo worker`'s flags), and a misspelt key is an error with its
 * position instead of a queue no worker reads.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DativoError, DativoErrors, formatLocation } from '../../../host/errors.js';
import { silentLogger } from '../../../host/observability/logger.js';
import { loadRunnerConfig } from '../../../host/orchestrator/runner-config.js';
import { metricsEnabled, queueSection, tracingSection } from '../../../host/orchestrator/runner-sections.js';
import { selectExecutor } from '../../../host/orchestrator/select-executor.js';

const JOB = fileURLToPath(new URL('../../fixtures/jobs/orders.yaml', import.meta.url));

async function runner(sections: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-sections-'));
  const file = path.join(dir, 'runner.yaml');
  await writeFile(
    file,
    [
      'runner:',
      '  orchestrator:',
      '    schedules:',
      `      - { name: orders, config: ${JOB}, interval_seconds: 60 }`,
      sections,
      '',
    ].join('\n'),
  );
  return { file, cfg: await loadRunnerConfig(file, { env: { REDIS_HOST: 'redis.internal' } }) };
}

function errorsOf(fn: () => unknown): DativoError[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof DativoErrors) return err.errors;
    if (err instanceof DativoError) return [err];
    throw err;
  }
  throw new Error('expected an error');
}

describe('runner config: queue, metrics and tracing sections', () => {
  it('maps queue.redis, name and prefix onto the queue executor options', async () => {
    const { cfg } = await runner(
      [
        '  queue:',
        '    redis: redis://${REDIS_HOST}:6379',
        '    name: nightly',
        '    prefix: acme',
        '    keep_finished_seconds: 600',
      ].join('\n'),
    );
    expect(queueSection(cfg)).toEqual({
      redis: 'redis://redis.internal:6379',
      queueName: 'nightly',
      prefix: 'acme',
      keepFinishedSeconds: 600,
    });
    expect(metricsEnabled(cfg)).toBe(true);
    expect(tracingSection(cfg)).toEqual({ enabled: true });
  });

  it('no queue section, or enabled: false, runs in-process', async () => {
    const none = await runner('');
    expect(queueSection(none.cfg)).toBeUndefined();
    const off = await runner('  queue: { enabled: false, redis: "redis://x:6379" }');
    expect(queueSection(off.cfg)).toBeUndefined();
    const executor = await selectExecutor(off.cfg, { logger: silentLogger(), load: { mode: 'self_hosted' } });
    expect(executor.kind).toBe('in-process');
  });

  it('reports unknown keys and wrong types with file:line:column', async () => {
    const { file, cfg } = await runner(
      ['  queue:', '    redis: redis://x:6379', '    queue_name: nightly', '    prefix: 7'].join('\n'),
    );
    const errors = errorsOf(() => queueSection(cfg));
    expect(errors.map((e) => `${formatLocation(e.location!)}: ${e.message}`)).toEqual([
      `${file}:7:5, key runner.queue.queue_name: unknown key "queue_name" in queue (known: enabled, redis, redis_url, name, prefix, keep_finished_seconds)`,
      `${file}:8:5, key runner.queue.prefix: queue.prefix must be a non-empty string`,
    ]);
    const noUrl = await runner('  queue: { name: nightly }');
    expect(errorsOf(() => queueSection(noUrl.cfg))[0]?.message).toBe('queue.redis must be a redis:// URL');
  });

  it('reads metrics.enabled and the tracing endpoint', async () => {
    const { cfg } = await runner(
      [
        '  metrics: { enabled: false }',
        '  tracing: { otlp_endpoint: "http://otel:4318", service_name: dativo-prod }',
      ].join('\n'),
    );
    expect(metricsEnabled(cfg)).toBe(false);
    expect(tracingSection(cfg)).toEqual({
      enabled: true,
      otlpEndpoint: 'http://otel:4318',
      serviceName: 'dativo-prod',
    });
    const bad = await runner('  tracing: { endpoint: "http://otel:4318" }');
    expect(errorsOf(() => tracingSection(bad.cfg))[0]?.message).toContain(
      'unknown key "endpoint" in tracing',
    );
  });
});
