/**
 * The job's retry_config applied to one finished attempt (the original's rule, spec §14): retry when
 * the attempt failed, its exit code is one of `retryable_exit_codes` and, when
 * `retryable_error_patterns` are given, one of them (a regular expression) matches an error line
 * `[CODE] location: message`. Without patterns, an attempt that failed only for deterministic reasons
 * (a bad config, a contract violation, a missing file: the same input fails the same way again) is
 * not retried; configuring `retryable_error_patterns` hands that decision to the patterns.
 * An interrupted or cancelled attempt is never retried, nor is one that committed (exit 1 means
 * "finished with warnings": its data is in).
 * The delay before retry n (1-based) is initial × multiplier^(n-1) seconds, capped at the maximum.
 */
import type { RetryConfig } from '../config/types.js';
import type { AttemptResult } from './executor.js';
import type { RunState } from './runs.js';

export function errorLines(result: Pick<AttemptResult, 'errors'>): string[] {
  return result.errors.map((e) => `[${e.code}] ${e.location ? `${e.location}: ` : ''}${e.message}`);
}

/** A pattern that is not a valid regular expression matches as plain text. */
function matches(pattern: string, line: string): boolean {
  try {
    return new RegExp(pattern).test(line);
  } catch {
    return line.includes(pattern);
  }
}

/** Error codes whose cause does not go away by waiting: retrying them only repeats the failure. */
export const DETERMINISTIC_ERROR_CODES: ReadonlySet<string> = new Set([
  'CONFIG_INVALID',
  'CONFIG_NOT_FOUND',
  'YAML_SYNTAX',
  'VARIABLE_UNSET',
  'REGISTRY_INVALID',
  'NOT_IMPLEMENTED',
  'SECRET_NOT_FOUND',
  'STATE_CORRUPT',
  'SOURCE_NOT_FOUND',
  'CSV_PARSE',
  'MARKDOWN_PARSE',
  'VALIDATION_FAILED',
  'PLUGIN_DENIED',
  'PLUGIN_VERSION_INCOMPATIBLE',
  'AUTHENTICATION_FAILED',
  'TOOLCHAIN_MISSING',
]);

export function isRetryable(retry: RetryConfig, result: AttemptResult): boolean {
  if (result.status !== 'failed') return false;
  if (!retry.retryableExitCodes.includes(result.exitCode)) return false;
  if (retry.retryableErrorPatterns.length === 0)
    return (
      result.errors.length === 0 ||
      result.errors.some((e) => e.retryable || !DETERMINISTIC_ERROR_CODES.has(e.code))
    );
  const lines = errorLines(result);
  return retry.retryableErrorPatterns.some((p) => lines.some((l) => matches(p, l)));
}

/** Milliseconds to wait before retry number `retryNumber` (1 for the first retry). */
export function retryDelayMs(retry: RetryConfig, retryNumber: number): number {
  const seconds = retry.initialDelaySeconds * retry.backoffMultiplier ** Math.max(0, retryNumber - 1);
  return Math.round(Math.min(seconds, retry.maxDelaySeconds) * 1000);
}

/** Whether attempt number `attempt` (1-based) may be followed by another. */
export function hasRetriesLeft(retry: RetryConfig, attempt: number): boolean {
  return attempt <= retry.maxRetries;
}

/** What follows a finished attempt: another attempt after a delay, or the run's end. */
export type NextStep = { retryInMs: number } | { final: RunState; reason?: string };

/**
 * The scheduler's decision after an attempt. No retry while shutting down or after a cancel; an
 * interrupted attempt ends the run as `cancelled` when a cancel asked for it, else `interrupted`
 * with the shutdown's reason.
 */
export function nextStep(
  retry: RetryConfig,
  attempt: number,
  result: AttemptResult,
  ctx: { running: boolean; cancelRequested?: string; shutdownReason?: string },
): NextStep {
  if (ctx.running && !ctx.cancelRequested && isRetryable(retry, result) && hasRetriesLeft(retry, attempt)) {
    return { retryInMs: retryDelayMs(retry, attempt) };
  }
  if (result.status !== 'interrupted') return { final: result.status };
  const reason = ctx.cancelRequested ?? ctx.shutdownReason;
  return { final: ctx.cancelRequested ? 'cancelled' : 'interrupted', ...(reason ? { reason } : {}) };
}
