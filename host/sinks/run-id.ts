/**
 * Run ids name a run's staging, commit record, rejects and file names. They sort by time, so the
 * latest commit of a job is the greatest id: `r<UTC yyyyMMddTHHmmssSSS>-<6 random hex>`.
 */
import { randomBytes } from 'node:crypto';

/** Run ids sort by time: `r<UTC yyyyMMddTHHmmssSSS>-<6 random hex>`. */
export function newRunId(now: Date = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const stamp =
    `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}` +
    `T${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}${p(now.getUTCMilliseconds(), 3)}`;
  return `r${stamp}-${randomBytes(3).toString('hex')}`;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A run id becomes a key segment and a file-name part: keep it to a safe alphabet. */
export function assertRunId(runId: string): void {
  if (!RUN_ID.test(runId) || runId.includes('..'))
    throw new Error(`invalid run id: ${JSON.stringify(runId)}`);
}
