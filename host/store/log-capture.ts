/**
 * The log lines a run keeps in its history: warn and above, already masked, picked from every
 * logger of the process by a predicate on the structured line (its run's `orchestrator_run`, or
 * everything while a one-shot `dativo run` runs).
 */
import { addLogTap } from '../observability/logger.js';
import type { LogLine } from './types.js';

const KEPT_LEVELS = new Set(['warn', 'error', 'fatal']);
/** A runaway job must not fill the store: the first lines explain a failure best. */
const MAX_LINES = 500;

export interface LogCapture {
  /** The lines captured since the last take. */
  take(): LogLine[];
  stop(): void;
}

export function captureLogs(belongs: (fields: Record<string, unknown>) => boolean): LogCapture {
  let lines: LogLine[] = [];
  let kept = 0;
  const stop = addLogTap((text) => {
    for (const raw of text.split('\n')) {
      if (!raw.trim() || kept >= MAX_LINES) continue;
      let fields: Record<string, unknown>;
      try {
        fields = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (!KEPT_LEVELS.has(String(fields.level)) || !belongs(fields)) continue;
      kept++;
      lines.push({
        at: typeof fields.time === 'string' ? fields.time : new Date().toISOString(),
        level: String(fields.level),
        message: String(fields.message ?? ''),
        line: raw,
      });
    }
  });
  return {
    take() {
      const out = lines;
      lines = [];
      return out;
    },
    stop,
  };
}
