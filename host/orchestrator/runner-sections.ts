/**
 * The operations sections of a runner config, read after loading (runner-config.ts keeps them raw):
 *
 *   queue:    { redis: redis://host:6379, name: dativo-runs, prefix: dativo, enabled: true }
 *   metrics:  { enabled: true }                     # /metrics on the API
 *   tracing:  { otlp_endpoint: http://otel:4318, service_name: dativo, enabled: true }
 *
 * The queue keys are named like `dativo worker`'s flags (`--redis`, `--queue`, `--prefix`), so the
 * two sides of one queue read alike. An unknown key is an error with its position: a misspelt queue
 * name would otherwise send runs to a queue no worker reads.
 */
import { DativoError, DativoErrors } from '../errors.js';
import type { RunnerConfig } from './runner-config.js';

export interface QueueSection {
  redis: string;
  queueName?: string;
  prefix?: string;
  keepFinishedSeconds?: number;
}

export interface TracingSection {
  enabled: boolean;
  otlpEndpoint?: string;
  serviceName?: string;
}

type Kind = 'string' | 'boolean' | 'number';

/** Check a raw section's keys and value types; every problem at once, with positions. */
function checkSection(
  runner: RunnerConfig,
  name: 'queue' | 'metrics' | 'tracing',
  keys: Record<string, Kind>,
): Record<string, unknown> {
  const raw = runner[name] ?? {};
  const errors: DativoError[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const kind = keys[key];
    const location = runner.locate(`${name}.${key}`);
    if (!kind) {
      errors.push(
        new DativoError(
          'CONFIG_INVALID',
          `unknown key "${key}" in ${name} (known: ${Object.keys(keys).join(', ')})`,
          { location },
        ),
      );
    } else if (typeof value !== kind || (kind === 'string' && value === '')) {
      errors.push(
        new DativoError(
          'CONFIG_INVALID',
          `${name}.${key} must be a ${kind === 'string' ? 'non-empty string' : kind}`,
          {
            location,
          },
        ),
      );
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new DativoErrors(errors);
  return raw;
}

/** The queue to send runs to, or undefined to run them in-process. */
export function queueSection(runner: RunnerConfig): QueueSection | undefined {
  if (!runner.queue) return undefined;
  const q = checkSection(runner, 'queue', {
    enabled: 'boolean',
    redis: 'string',
    redis_url: 'string',
    name: 'string',
    prefix: 'string',
    keep_finished_seconds: 'number',
  });
  if (q.enabled === false) return undefined;
  const redis = q.redis ?? q.redis_url;
  if (typeof redis !== 'string') {
    throw new DativoError('CONFIG_INVALID', 'queue.redis must be a redis:// URL', {
      location: runner.locate('queue'),
    });
  }
  return {
    redis,
    ...(typeof q.name === 'string' ? { queueName: q.name } : {}),
    ...(typeof q.prefix === 'string' ? { prefix: q.prefix } : {}),
    ...(typeof q.keep_finished_seconds === 'number' ? { keepFinishedSeconds: q.keep_finished_seconds } : {}),
  };
}

/** Whether the API serves `/metrics` (default yes). */
export function metricsEnabled(runner: RunnerConfig): boolean {
  return checkSection(runner, 'metrics', { enabled: 'boolean' }).enabled !== false;
}

export function tracingSection(runner: RunnerConfig): TracingSection {
  const t = checkSection(runner, 'tracing', {
    enabled: 'boolean',
    otlp_endpoint: 'string',
    service_name: 'string',
  });
  return {
    enabled: t.enabled !== false,
    ...(typeof t.otlp_endpoint === 'string' ? { otlpEndpoint: t.otlp_endpoint } : {}),
    ...(typeof t.service_name === 'string' ? { serviceName: t.service_name } : {}),
  };
}
