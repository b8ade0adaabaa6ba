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

function maskingStream(dest: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      dest.write(masker.mask(chunk.toString()));
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
