/**
 * Progress on a TTY (rows, bytes, rate, and an ETA when the source knows its size) through
 * cli-progress; silent when stderr is not a TTY or when --json output is requested, so logs and
 * machine output stay clean.
 */
import { stat } from 'node:fs/promises';
import cliProgress from 'cli-progress';

export interface Progress {
  update(rows: number, bytes: number): void;
  stop(): void;
}

const NOOP: Progress = { update() {}, stop() {} };

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** What the bar shows after `elapsedMs`: rates, and an ETA when the total size is known. */
export function progressFields(
  rows: number,
  bytes: number,
  totalBytes: number | undefined,
  elapsedMs: number,
): { rows: number; mb: string; rate: number; mbps: string; eta: string } {
  const secs = Math.max(elapsedMs / 1000, 0.001);
  const bytesPerSec = bytes / secs;
  let eta = '?';
  if (totalBytes && totalBytes > 0 && bytes > 0) eta = clock(Math.max(0, totalBytes - bytes) / bytesPerSec);
  return { rows, mb: mb(bytes), rate: Math.round(rows / secs), mbps: mb(bytesPerSec), eta };
}

/** The size of the source's local files, when every one can be stat'ed (else unknown). */
export async function knownSourceBytes(files: string[]): Promise<number | undefined> {
  if (files.length === 0) return undefined;
  let total = 0;
  for (const f of files) {
    const s = await stat(f).catch(() => undefined);
    if (!s?.isFile()) return undefined;
    total += s.size;
  }
  return total;
}

export function createProgress(label: string, totalBytes: number | undefined, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return NOOP;
  const started = Date.now();
  const known = totalBytes !== undefined && totalBytes > 0;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: known
        ? `${label} [{bar}] {percentage}% | {rows} rows | {mb} MB | {rate} rows/s | {mbps} MB/s | ETA {eta}`
        : `${label} {rows} rows | {mb} MB | {rate} rows/s | {mbps} MB/s`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(known ? totalBytes : 1, 0, progressFields(0, 0, totalBytes, 0));
  return {
    update(rows, bytes) {
      bar.update(
        known ? Math.min(bytes, totalBytes) : 0,
        progressFields(rows, bytes, totalBytes, Date.now() - started),
      );
    },
    stop() {
      bar.stop();
    },
  };
}
