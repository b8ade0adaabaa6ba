/**
 * Logs (pino) on stderr: JSON lines for machines (not a TTY, or `--log-format json`), pino-pretty's
 * short coloured lines for people at a terminal. Every line passes through the masker before it is
 * formatted, so a secret that slips into a message or a field is replaced in both formats.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import pretty from 'pino-pretty';
import { masker } from '../secrets/masker.js';

export type LogFormat = 'json' | 'pretty';

export type Logger = pino.Logger;

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stderr by default. Tests pass a collecting stream. */
  destination?: NodeJS.WritableStream;
  base?: Record<string, unknown>;
  /** Default: $DATIVO_LOG_FORMAT, else pretty when the destination is a terminal, else JSON. */
  format?: LogFormat;
}

/** The format when none was asked for: readable on a terminal, JSON everywhere else. */
export function defaultLogFormat(dest: NodeJS.WritableStream = process.stderr): LogFormat {
  const env = process.env.DATIVO_LOG_FORMAT;
  if (env === 'json' || env === 'pretty') return env;
  return (dest as { isTTY?: boolean }).isTTY ? 'pretty' : 'json';
}

function prettyStream(dest: NodeJS.WritableStream): NodeJS.WritableStream {
  return pretty({
    destination: dest,
    sync: true,
    colorize: !process.env.NO_COLOR && Boolean((dest as { isTTY?: boolean }).isTTY),
    singleLine: true,
    messageKey: 'message',
    translateTime: 'HH:MM:ss',
    // The run's identity is on every line of the JSON; at a terminal it is noise.
    ignore: 'pid,hostname,tenant_id,job_name,run_id,runId,event_type',
  });
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
  const dest = opts.destination ?? process.stderr;
  return pino(
    {
      level: level === 'warning' ? 'warn' : level,
      base: opts.base ?? {},
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    maskingStream((opts.format ?? defaultLogFormat(dest)) === 'pretty' ? prettyStream(dest) : dest),
  );
}

/** A logger that drops everything (unit tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
