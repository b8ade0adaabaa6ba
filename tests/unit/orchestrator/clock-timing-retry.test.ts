import { describe, expect, it } from 'vitest';
import type { RetryConfig } from '../../../host/config/types.js';
import { createManualClock } from '../../../host/orchestrator/clock.js';
import type { AttemptResult } from '../../../host/orchestrator/executor.js';
import { hasRetriesLeft, isRetryable, retryDelayMs } from '../../../host/orchestrator/retry.js';
import { nextFireAt } from '../../../host/orchestrator/timing.js';

const t = (iso: string) => Date.parse(iso);

describe('manual clock', () => {
  it('fires timers in due order, each at its own instant, and timers set by a timer in the same advance', async () => {
    const clock = createManualClock(1000);
    const fired: [string, number][] = [];
    clock.setTimer(() => fired.push(['b', clock.now()]), 200);
    clock.setTimer(() => {
      fired.push(['a', clock.now()]);
      clock.setTimer(() => fired.push(['c', clock.now()]), 50);
    }, 100);
    const cancelled = clock.setTimer(() => fired.push(['x', clock.now()]), 10);
    clock.clearTimer(cancelled);
    await clock.advance(500);
    expect(fired).toEqual([
      ['a', 1100],
      ['c', 1150],
      ['b', 1200],
    ]);
    expect(clock.now()).toBe(1500);
    expect(clock.pending()).toEqual([]);
  });

  it('runNext jumps to the next timer', async () => {
    const clock = createManualClock(0);
    let hit = 0;
    clock.setTimer(() => hit++, 60_000);
    expect(await clock.runNext()).toBe(true);
    expect(clock.now()).toBe(60_000);
    expect(hit).toBe(1);
    expect(await clock.runNext()).toBe(false);
  });
});

describe('next fire time', () => {
  it('evaluates cron in the schedule time zone', () => {
    // 01:05 every day in New York is 06:05 UTC in winter (EST, UTC-5) and 05:05 in summer (EDT).
    const ny = { cron: '5 1 * * *', timezone: 'America/New_York' };
    expect(nextFireAt(ny, t('2024-01-15T00:00:00Z'))).toBe(t('2024-01-15T06:05:00Z'));
    expect(nextFireAt(ny, t('2024-07-15T00:00:00Z'))).toBe(t('2024-07-15T05:05:00Z'));
    const utc = { cron: '5 1 * * *', timezone: 'UTC' };
    expect(nextFireAt(utc, t('2024-01-15T00:00:00Z'))).toBe(t('2024-01-15T01:05:00Z'));
    // Strictly after: a fire time equal to "now" is the next day's.
    expect(nextFireAt(utc, t('2024-01-15T01:05:00Z'))).toBe(t('2024-01-16T01:05:00Z'));
  });

  it('hourly cron across the spring-forward gap fires every real hour', () => {
    const hourly = { cron: '0 * * * *', timezone: 'America/New_York' };
    // 2024-03-10 02:00 local does not exist; 01:00 EST = 06:00Z, next 03:00 EDT = 07:00Z.
    expect(nextFireAt(hourly, t('2024-03-10T06:00:00Z'))).toBe(t('2024-03-10T07:00:00Z'));
  });

  it('interval schedules step from the planned time and skip missed intervals', () => {
    const every = { intervalSeconds: 60, timezone: 'UTC' };
    expect(nextFireAt(every, 0)).toBe(60_000);
    expect(nextFireAt(every, 60_000, 60_000)).toBe(120_000);
    // The process was busy until 250 s: the fires at 120..240 s are not replayed.
    expect(nextFireAt(every, 250_000, 60_000)).toBe(300_000);
  });
});

const retry: RetryConfig = {
  maxRetries: 3,
  initialDelaySeconds: 5,
  maxDelaySeconds: 12,
  backoffMultiplier: 2,
  retryableExitCodes: [2],
  retryableErrorPatterns: [],
};
const failed = (code: string, message: string, exitCode: 0 | 1 | 2 = 2): AttemptResult => ({
  status: 'failed',
  exitCode,
  errors: [{ code, message, retryable: false }],
});

describe('retry policy', () => {
  it('delays grow by the multiplier from the initial delay and stop at the cap', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(retry, n))).toEqual([5000, 10_000, 12_000, 12_000]);
    expect(retryDelayMs({ ...retry, backoffMultiplier: 1.5, maxDelaySeconds: 300 }, 3)).toBe(11_250);
  });

  it('max_retries counts retries after the first attempt', () => {
    expect([1, 2, 3, 4].map((a) => hasRetriesLeft(retry, a))).toEqual([true, true, true, false]);
  });

  it('retries failures with a listed exit code; patterns, when given, must match an error line', () => {
    expect(isRetryable(retry, failed('CONNECTION_FAILED', 'refused'))).toBe(true);
    expect(isRetryable({ ...retry, retryableExitCodes: [1] }, failed('CONNECTION_FAILED', 'refused'))).toBe(
      false,
    );
    const withPatterns = { ...retry, retryableErrorPatterns: ['CONNECTION_FAILED', 'timed? ?out'] };
    expect(isRetryable(withPatterns, failed('CONNECTION_FAILED', 'refused'))).toBe(true);
    expect(isRetryable(withPatterns, failed('SOURCE_NOT_FOUND', 'read timed out'))).toBe(true);
    expect(isRetryable(withPatterns, failed('VALIDATION_FAILED', 'strict validation failed'))).toBe(false);
    // A broken regular expression still matches as text.
    expect(isRetryable({ ...retry, retryableErrorPatterns: ['[oops'] }, failed('X', 'an [oops here'))).toBe(
      true,
    );
  });

  it('without patterns, retries only failures that waiting can fix', () => {
    expect(isRetryable(retry, failed('VALIDATION_FAILED', 'strict validation failed'))).toBe(false);
    expect(isRetryable(retry, failed('CONFIG_INVALID', 'unknown key'))).toBe(false);
    expect(isRetryable(retry, failed('SOURCE_NOT_FOUND', 'no such file'))).toBe(false);
    expect(isRetryable(retry, failed('WRITE_FAILED', 'bucket unreachable'))).toBe(true);
    // Configured patterns decide, even for a code that is deterministic by default.
    const configured = { ...retry, retryableErrorPatterns: ['SOURCE_NOT_FOUND'] };
    expect(isRetryable(configured, failed('SOURCE_NOT_FOUND', 'no such file'))).toBe(true);
  });

  it('never retries a run that committed or was interrupted', () => {
    expect(
      isRetryable(
        { ...retry, retryableExitCodes: [1, 2] },
        { status: 'succeeded_with_warnings', exitCode: 1, errors: [] },
      ),
    ).toBe(false);
    expect(isRetryable(retry, { status: 'interrupted', exitCode: 2, errors: [] })).toBe(false);
  });
});
