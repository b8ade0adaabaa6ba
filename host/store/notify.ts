/**
 * Failure notifications: a JSON event POSTed to a webhook (`$DATIVO_NOTIFY_URL`) when a run fails,
 * retried with backoff on a network error or a 5xx/429 answer, so a receiver that is briefly down
 * still gets exactly one event per failed run. A 4xx other than 429 is not retried (the receiver
 * refused the event; sending it again would not change that).
 */
import type { Logger } from '../observability/logger.js';
import { masker } from '../secrets/masker.js';
import type { RunEntry } from './types.js';

export interface NotifierOptions {
  url: string;
  /** Attempts in all (default 4). */
  attempts?: number;
  /** First backoff, doubled after each failure (default 500 ms). */
  backoffMs?: number;
  logger: Logger;
}

export interface RunFailedEvent {
  type: 'run_failed';
  run: Pick<
    RunEntry,
    | 'id'
    | 'job'
    | 'tenant'
    | 'trigger'
    | 'status'
    | 'exitCode'
    | 'startedAt'
    | 'finishedAt'
    | 'errorCode'
    | 'errorMessage'
  >;
}

export type Notifier = (run: RunEntry) => Promise<boolean>;

const FAILED = new Set(['failed', 'interrupted']);

export function createNotifier(opts: NotifierOptions): Notifier {
  const attempts = opts.attempts ?? 4;
  return async (run) => {
    if (!FAILED.has(run.status)) return false;
    const event: RunFailedEvent = {
      type: 'run_failed',
      run: {
        id: run.id,
        job: run.job,
        tenant: run.tenant,
        trigger: run.trigger,
        status: run.status,
        ...(run.exitCode !== undefined ? { exitCode: run.exitCode } : {}),
        startedAt: run.startedAt,
        ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
        ...(run.errorCode ? { errorCode: run.errorCode } : {}),
        ...(run.errorMessage ? { errorMessage: run.errorMessage } : {}),
      },
    };
    const body = masker.mask(JSON.stringify(event));
    let delay = opts.backoffMs ?? 500;
    for (let i = 1; i <= attempts; i++) {
      let why: string;
      try {
        const res = await fetch(opts.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': run.id },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await res.body?.cancel();
        if (res.ok) return true;
        why = `HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 429) i = attempts;
      } catch (err) {
        why = (err as Error).message;
      }
      opts.logger.warn(
        { event_type: 'notification_failed', run_id: run.id, attempt: i, reason: why },
        `failure notification for run ${run.id} not delivered (${why})`,
      );
      if (i < attempts) await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
    return false;
  };
}

/** The notifier configured by $DATIVO_NOTIFY_URL, if any. */
export function notifierFromEnv(logger: Logger, env: NodeJS.ProcessEnv = process.env): Notifier | undefined {
  return env.DATIVO_NOTIFY_URL ? createNotifier({ url: env.DATIVO_NOTIFY_URL, logger }) : undefined;
}
