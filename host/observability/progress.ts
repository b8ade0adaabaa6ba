/**
 * Progress on a TTY (rows, bytes, rate) through cli-progress; silent when stderr is not a TTY
 * or when --json output is requested, so logs and machine output stay clean.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(rows: number, bytes: number): void;
  stop(): void;
}

const NOOP: Progress = { update() {}, stop() {} };

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

export function createProgress(label: string, totalBytes: number | undefined, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return NOOP;
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {rows} rows | {mb} MB | {rate} rows/s`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalBytes && totalBytes > 0 ? totalBytes : 1, 0, { rows: 0, mb: '0.0', rate: 0 });
  return {
    update(rows, bytes) {
      const secs = Math.max((Date.now() - started) / 1000, 0.001);
      bar.update(totalBytes ? bytes : 0, { rows, mb: mb(bytes), rate: Math.round(rows / secs) });
    },
    stop() {
      bar.stop();
    },
  };
}
