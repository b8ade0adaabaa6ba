/**
 * Progress for logs: without a terminal there is no bar, so a long run says how far it is with an
 * info line every interval (rows, rate, MB read). Checked on each batch, so nothing runs between
 * batches and nothing is left to stop when the run ends.
 */
import type { Logger } from './logger.js';

export interface ProgressLog {
  update(rows: number, bytes: number): void;
}

/** Seconds between lines: $DATIVO_PROGRESS_INTERVAL_SECONDS, default 10. */
export function progressIntervalMs(env: Record<string, string | undefined> = process.env): number {
  const n = Number(env.DATIVO_PROGRESS_INTERVAL_SECONDS);
  return Number.isFinite(n) && n >= 0 && env.DATIVO_PROGRESS_INTERVAL_SECONDS !== '' ? n * 1000 : 10_000;
}

export function createProgressLog(
  log: Logger,
  opts: { enabled: boolean; intervalMs?: number; now?: () => number },
): ProgressLog {
  if (!opts.enabled) return { update() {} };
  const now = opts.now ?? Date.now;
  const interval = opts.intervalMs ?? progressIntervalMs();
  const started = now();
  let last = started;
  return {
    update(rows, bytes) {
      const t = now();
      if (t - last < interval) return;
      last = t;
      const rate = Math.round(rows / Math.max((t - started) / 1000, 0.001));
      log.info(
        { event_type: 'progress', rows, rows_per_second: rate, mb_read: Number((bytes / 1e6).toFixed(1)) },
        `progress: ${rows} rows, ${rate} rows/s`,
      );
    },
  };
}
