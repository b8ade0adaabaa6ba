/**
 * Test hook for the crash-safety suite: DATIVO_TEST_CRASH_AT=before-record|after-record makes the
 * commit stop at that point and the process die by SIGKILL, exactly as a power cut would leave it.
 * Without the variable this does nothing.
 */
import { type CrashPoint, SimulatedCrash } from '../sinks/file-sink.js';

const POINTS: Record<string, CrashPoint> = { 'before-record': 'staged', 'after-record': 'record' };

export function crashPointFromEnv(): CrashPoint | undefined {
  const at = process.env.DATIVO_TEST_CRASH_AT;
  return at ? POINTS[at] : undefined;
}

export function dieIfSimulatedCrash(err: unknown): void {
  if (err instanceof SimulatedCrash) process.kill(process.pid, 'SIGKILL');
}
