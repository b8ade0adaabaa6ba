/**
 * Structured JSON logs (pino) on stderr. Every line passes through the masker, so a secret that
 * slips into a message or a field is replaced before it is written.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { masker } from '../secrets/masker.js';

export type Logger = pino.Logger;

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stderr by default. Tests pass a collecting stream. */
  destination?: NodeJS.WritableStream;
  base?: Record<string, unknown>;
}

type LogTap = (maskedLine: string) => void;
const taps = new Set<LogTap>();

/** See every (masked) line the loggers of this process write: the run history keeps warn and above. */
export function addLogTap(tap: LogTap): () => void {
  taps.add(tap);
  return () => taps.delete(tap);
}

function maskingStream(dest: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      const line = masker.mask(chunk.toString());
      dest.write(line);
      for (const tap of taps) tap(line);
      cb();
    },
  });
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = (opts.level ?? process.env.DATIVO_LOG_LEVEL ?? 'info').toLowerCase();
  return pino(
    {
      level: level === 'warning' ? 'warn' : level,
      base: opts.base ?? {},
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    maskingStream(opts.destination ?? process.stderr),
  );
}

/** A logger that drops everything (unit tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
