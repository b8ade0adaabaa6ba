/**
 * Small job sections turned into their resolved shapes, with the defaults of spec §3.
 */
import type { JobFile } from './job-schema.js';
import { isPlainObject } from './merge.js';
import { type PathBase, resolvePath } from './paths.js';
import type { PluginRef, RetryConfig, SandboxLimits } from './types.js';

/** retry_config; `max_attempts` (what the original's schema documented) counts the first try too. */
export function retryOf(rc: JobFile['retry_config']): RetryConfig {
  const maxRetries = rc?.max_retries ?? (rc?.max_attempts !== undefined ? rc.max_attempts - 1 : 3);
  return {
    maxRetries,
    initialDelaySeconds: rc?.initial_delay_seconds ?? rc?.retry_delay_seconds ?? 5,
    maxDelaySeconds: rc?.max_delay_seconds ?? 300,
    backoffMultiplier: rc?.backoff_multiplier ?? 2,
    retryableExitCodes: rc?.retryable_exit_codes ?? [1, 2],
    retryableErrorPatterns: rc?.retryable_error_patterns ?? [],
  };
}

const LEVELS: Record<string, string> = { warning: 'warn', critical: 'fatal' };

/** Python level names (INFO, WARNING, CRITICAL) → pino levels. */
export function loggingOf(l: JobFile['logging']): { level: string; redaction: boolean } {
  const level = (l?.level ?? 'info').toLowerCase();
  return { level: LEVELS[level] ?? level, redaction: l?.redaction ?? false };
}

export function finopsOf(
  f: JobFile['finops'],
): { costCenter?: string; businessTags: string[]; project?: string; environment?: string } | undefined {
  if (!f) return undefined;
  const tags = f.business_tags;
  const out: { costCenter?: string; businessTags: string[]; project?: string; environment?: string } = {
    businessTags:
      tags === undefined
        ? []
        : Array.isArray(tags)
          ? tags
          : tags
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
  };
  if (f.cost_center !== undefined) out.costCenter = f.cost_center;
  if (f.project !== undefined) out.project = f.project;
  if (f.environment !== undefined) out.environment = f.environment;
  return out;
}

export function buildSandbox(s: NonNullable<JobFile['plugins']>['sandbox']): SandboxLimits | undefined {
  if (!s) return undefined;
  const out: SandboxLimits = {};
  if (s.enabled !== undefined) out.enabled = s.enabled;
  if (s.cpu_limit !== undefined) out.cpuLimit = s.cpu_limit;
  if (s.memory_limit !== undefined) out.memoryLimit = String(s.memory_limit);
  if (s.network_disabled !== undefined) out.networkDisabled = s.network_disabled;
  if (s.timeout !== undefined) out.timeout = s.timeout;
  return out;
}

/** `source.plugin` / `target.plugin` (already schema-checked and interpolated). */
export function buildPlugin(raw: unknown, base: PathBase): PluginRef | undefined {
  if (!isPlainObject(raw)) return undefined;
  const allow = isPlainObject(raw.allow) ? raw.allow : {};
  const ref: PluginRef = {
    allow: {
      hosts: Array.isArray(allow.hosts) ? (allow.hosts as string[]) : [],
      secrets: Array.isArray(allow.secrets) ? (allow.secrets as string[]) : [],
    },
  };
  if (typeof raw.path === 'string') {
    ref.path = resolvePath(raw.path, base);
    raw.path = ref.path;
  }
  if (typeof raw.name === 'string') ref.name = raw.name;
  if (typeof allow.memory_mb === 'number') ref.allow.memoryMb = allow.memory_mb;
  if (typeof allow.timeout_ms === 'number') ref.allow.timeoutMs = allow.timeout_ms;
  if (typeof allow.output_mb === 'number') ref.allow.outputMb = allow.output_mb;
  if (typeof allow.log_mb === 'number') ref.allow.logMb = allow.log_mb;
  if (Array.isArray(allow.env)) ref.allow.env = allow.env as string[];
  if (isPlainObject(allow.http)) ref.allow.http = allow.http as NonNullable<PluginRef['allow']['http']>;
  return ref;
}
