/**
 * Notifications: a JSON event POSTed to webhooks when a run fails or succeeds, or a schedule goes
 * stale. Each delivery is retried with backoff on a network error or a 5xx/429 answer, so a
 * receiver that is briefly down still gets exactly one event per run; the `Idempotency-Key`
 * header (the run id, or the stale episode's id) lets a receiver drop a duplicate should a
 * response be lost after it was handled. A 4xx other than 429 is not retried (the receiver
 * refused the event; sending it again would not change that). Webhooks are named by their label
 * in logs, never by URL: a webhook URL is often its own credential.
 */
import type { Logger } from '../observability/logger.js';
import type { NotificationEvent, WebhookTarget } from '../orchestrator/notifications-section.js';
import { masker } from '../secrets/masker.js';
import type { RunEntry } from './types.js';

export type RunEventRun = Pick<
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
> & { schedule?: string };

export interface RunFailedEvent {
  type: 'run_failed' | 'run_succeeded';
  run: RunEventRun;
}

export interface JobStaleEvent {
  type: 'job_stale';
  /** One id per stale episode (it ends with the next success). */
  id: string;
  schedule: string;
  job: string;
  tenant: string;
  intervalSeconds: number;
  staleAfterSeconds: number;
  /** The last success seen by this process, or when it started watching. */
  lastSuccessAt?: string;
  watchingSince: string;
  detectedAt: string;
}

export type DativoEvent = RunFailedEvent | JobStaleEvent;

export interface DeliveryOptions {
  /** Attempts in all (default 4). */
  attempts?: number;
  /** First backoff, doubled after each failure (default 500 ms). */
  backoffMs?: number;
  logger: Logger;
}

const FAILED = new Set(['failed', 'interrupted']);
const SUCCEEDED = new Set(['succeeded', 'succeeded_with_warnings', 'nothing_new']);

/** Which notification a finished run is (cancelled and skipped runs are none). */
export function runEventKind(status: string): NotificationEvent | undefined {
  if (FAILED.has(status)) return 'failed';
  if (SUCCEEDED.has(status)) return 'succeeded';
  return undefined;
}

export function runEvent(run: RunEntry): RunFailedEvent {
  return {
    type: runEventKind(run.status) === 'failed' ? 'run_failed' : 'run_succeeded',
    run: {
      id: run.id,
      job: run.job,
      tenant: run.tenant,
      trigger: run.trigger,
      ...(run.schedule ? { schedule: run.schedule } : {}),
      status: run.status,
      ...(run.exitCode !== undefined ? { exitCode: run.exitCode } : {}),
      startedAt: run.startedAt,
      ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
      ...(run.errorCode ? { errorCode: run.errorCode } : {}),
      ...(run.errorMessage ? { errorMessage: run.errorMessage } : {}),
    },
  };
}

/** POST one event to one webhook, with retries; true when it was accepted. */
export async function deliver(
  target: WebhookTarget,
  event: DativoEvent | { eventType: string },
  key: string,
  opts: DeliveryOptions,
): Promise<boolean> {
  const kind = 'type' in event ? event.type : event.eventType;
  const attempts = opts.attempts ?? 4;
  const body = masker.mask(JSON.stringify(event));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': key };
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  let delay = opts.backoffMs ?? 500;
  for (let i = 1; i <= attempts; i++) {
    let why: string;
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.body?.cancel();
      if (res.ok) return true;
      why = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) i = attempts;
    } catch (err) {
      // fetch's messages do not carry the URL; masked anyway, should a cause quote it.
      why = masker.mask((err as Error).message);
    }
    opts.logger.warn(
      {
        event_type: 'notification_failed',
        webhook: target.label,
        event: kind,
        key,
        attempt: i,
        reason: why,
      },
      `${kind} notification ${key} to ${target.label} not delivered (${why})`,
    );
    if (i < attempts) await new Promise((r) => setTimeout(r, delay));
    delay *= 2;
  }
  return false;
}

export interface Notifications {
  /** A finished run: to every webhook that asked for its kind. */
  run(entry: RunEntry): Promise<void>;
  stale(event: JobStaleEvent): Promise<void>;
  /** Wait for the deliveries in flight (at shutdown). */
  flush(): Promise<void>;
}

export function createNotifications(targets: WebhookTarget[], opts: DeliveryOptions): Notifications {
  const pending = new Set<Promise<unknown>>();
  const send = (kind: NotificationEvent, event: DativoEvent, key: string): Promise<void> => {
    const all = Promise.all(
      targets.filter((t) => t.events.has(kind)).map((t) => deliver(t, event, key, opts)),
    ).then(() => {});
    pending.add(all);
    void all.finally(() => pending.delete(all));
    return all;
  };
  return {
    async run(entry) {
      const kind = runEventKind(entry.status);
      if (kind) await send(kind, runEvent(entry), entry.id);
    },
    stale: (event) => send('stale', event, event.id),
    async flush() {
      await Promise.all([...pending]);
    },
  };
}

export type Notifier = (run: RunEntry) => Promise<boolean>;

/** One webhook for failed runs (what $DATIVO_NOTIFY_URL configures for `dativo run`). */
export function createNotifier(opts: DeliveryOptions & { url: string; label?: string }): Notifier {
  const target: WebhookTarget = {
    label: opts.label ?? 'webhook',
    url: opts.url,
    events: new Set(['failed']),
  };
  return async (run) => runEventKind(run.status) === 'failed' && deliver(target, runEvent(run), run.id, opts);
}

/**
 * The webhook of $DATIVO_NOTIFY_URL, if set: failed runs of a one-shot `dativo run` (which has no
 * runner config). The URL is registered as a secret: it is one, for most chat webhooks.
 */
export function envWebhook(env: NodeJS.ProcessEnv = process.env): WebhookTarget | undefined {
  const url = env.DATIVO_NOTIFY_URL;
  if (!url) return undefined;
  masker.register(url);
  return { label: 'DATIVO_NOTIFY_URL', url, events: new Set(['failed']) };
}

/** The notifier configured by $DATIVO_NOTIFY_URL, if any. */
export function notifierFromEnv(logger: Logger, env: NodeJS.ProcessEnv = process.env): Notifier | undefined {
  const target = envWebhook(env);
  return target ? createNotifier({ url: target.url, label: target.label, logger }) : undefined;
}
