/**
 * Every numeric limit of a plugin grant, in one place: the host's default (what a job that says
 * nothing allows), the host-wide maximum (what no job can raise it above), and the rule that
 * combines them with the manifest's request:
 *
 *     granted = min(manifest request, job allow ?? host default, host maximum[, plugins.sandbox])
 *
 * A plugin therefore never gets more than it asked for, more than the job allows, or (when the
 * job is silent) more than the documented default. Runtime-independent: the Extism and the
 * component runtimes both take their grant from here. docs/security.md has the same table.
 */

const MB = 1024 * 1024;

export interface LimitSpec {
  /** The host's default, standing in for a job that does not say. */
  default: number;
  /** No job can allow more. */
  max: number;
  /** Unit, for messages and docs. */
  unit: 'MiB' | 'ms' | 'count' | 'per second';
}

/** Limits of a plugin instance (manifest `capabilities.*`, job `plugin.allow.*`). */
export const PLUGIN_LIMITS = {
  memory_mb: { default: 64, max: 1024, unit: 'MiB' },
  timeout_ms: { default: 30_000, max: 300_000, unit: 'ms' },
  output_mb: { default: 256, max: 4096, unit: 'MiB' },
  log_mb: { default: 1, max: 64, unit: 'MiB' },
} as const satisfies Record<string, LimitSpec>;

/** The HTTP policy (manifest `capabilities.http.*`, job `plugin.allow.http.*`). */
export const HTTP_LIMITS = {
  max_response_mb: { default: 16, max: 256, unit: 'MiB' },
  request_timeout_ms: { default: 30_000, max: 120_000, unit: 'ms' },
  max_retries: { default: 3, max: 10, unit: 'count' },
  initial_delay_ms: { default: 250, max: 10_000, unit: 'ms' },
  max_delay_ms: { default: 30_000, max: 60_000, unit: 'ms' },
  max_redirects: { default: 5, max: 10, unit: 'count' },
} as const satisfies Record<string, LimitSpec>;

/** Largest row count one batch may declare when it crosses the boundary (host maximum). */
export const MAX_BATCH_ROWS = 1_048_576;

export type PluginLimit = keyof typeof PLUGIN_LIMITS;
export type HttpLimit = keyof typeof HTTP_LIMITS;

/** min(request, allow ?? default, max, extra bounds...), ignoring undefined bounds. */
export function combine(
  spec: LimitSpec,
  request: number | undefined,
  allow: number | undefined,
  ...bounds: (number | undefined)[]
): number {
  const xs = [request ?? spec.default, allow ?? spec.default, spec.max, ...bounds].filter(
    (x): x is number => x !== undefined && Number.isFinite(x),
  );
  return Math.min(...xs);
}

export const mib = (n: number): number => Math.floor(n * MB);

/** The HTTP methods a job allows when it says nothing: all of them (hosts are the real gate). */
export const DEFAULT_HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
