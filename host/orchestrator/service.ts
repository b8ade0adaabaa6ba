/**
 * The orchestrator as a service: runner config → executor → scheduler (its events counted in the
 * metrics) → HTTP API with `/metrics`. `dativo start` calls this and only adds flags, signals and
 * tracing. Everything fails before anything starts: a bad config section, a job that does not load,
 * a missing API token, a port in use.
 */
import type { Hono } from 'hono';
import { createApiApp } from '../api/app.js';
import { listen, type RunningServer } from '../api/server.js';
import { loadApiToken } from '../api/token.js';
import { loadJobForCli } from '../cli/load.js';
import type { Logger } from '../observability/logger.js';
import { entryFromRunRecord } from '../store/entries.js';
import { withStoreLock } from '../store/job-lock.js';
import { createNotifications, envWebhook, type Notifications } from '../store/notify.js';
import { recordScheduler } from '../store/recorder.js';
import type { HistoryStore } from '../store/types.js';
import { type Clock, systemClock } from './clock.js';
import type { RunExecutor } from './executor.js';
import type { JobLoadOptions } from './in-process.js';
import { resolveWebhooks, type WebhookTarget } from './notifications-section.js';
import type { RunnerConfig } from './runner-config.js';
import { metricsEnabled } from './runner-sections.js';
import { createScheduler, type JobInfo, type Scheduler } from './scheduler.js';
import { observeScheduler } from './scheduler-metrics.js';
import { selectExecutor } from './select-executor.js';
import { watchStaleness } from './stale-watch.js';

export interface ServiceOptions {
  runner: RunnerConfig;
  logger: Logger;
  load: JobLoadOptions;
  /** Secret manager settings for the API token (the same flags as for jobs). */
  secrets: { secretManager?: string; secretsDir?: string; secretManagerConfig?: string };
  api?: { enabled: boolean; host: string; port: number };
  clock?: Clock;
  executor?: RunExecutor;
  /**
   * Count the scheduler's events in the process's metrics and serve `/metrics` on the API (default:
   * the runner config's `metrics.enabled`, true).
   */
  metrics?: boolean;
  /** Run history: every run is recorded in this store (closed by stop()). */
  history?: HistoryStore;
  /** Called with the app before it listens, to add routes. */
  extendApi?: (app: Hono, scheduler: Scheduler) => void;
}

export interface OrchestratorService {
  scheduler: Scheduler;
  server?: RunningServer;
  stop(graceMs: number): Promise<void>;
}

export async function startOrchestrator(opts: ServiceOptions): Promise<OrchestratorService> {
  const { runner, logger } = opts;
  const api = opts.api ?? runner.api;
  const metrics = opts.metrics ?? metricsEnabled(runner);
  // The token first: a service that cannot be reached safely should not start running jobs.
  const token = api.enabled
    ? await loadApiToken(runner.api, { ...opts.secrets, env: process.env }, runner.locate('api.token_secret'))
    : undefined;
  // Webhook secrets before anything runs: alerts that would go nowhere should stop the start.
  const webhooks = await notificationTargets(runner, opts.secrets);
  const clock = opts.clock ?? systemClock();
  const jobInfo = async (file: string): Promise<JobInfo> => {
    const job = await loadJobForCli(file, { ...opts.load });
    return { name: job.name, tenant: job.tenantId, retry: job.retry };
  };
  const executor =
    opts.executor ??
    (await selectExecutor(runner, {
      logger,
      load: opts.load,
      ...(opts.history?.kind === 'postgres' ? { lock: withStoreLock(opts.history) } : {}),
    }));
  const scheduler = createScheduler({
    schedules: runner.schedules,
    executor,
    clock,
    logger,
    jobInfo,
    ...(runner.concurrencyPerTenant !== undefined
      ? { concurrencyPerTenant: runner.concurrencyPerTenant }
      : {}),
    ...(runner.maxConcurrentRuns !== undefined ? { maxConcurrentRuns: runner.maxConcurrentRuns } : {}),
  });
  const unobserve = metrics ? observeScheduler(scheduler) : () => {};
  const unrecord = opts.history ? recordScheduler(scheduler, opts.history, logger) : async () => {};
  const unnotify = notifyScheduler(scheduler, runner, clock, webhooks, logger);
  try {
    await scheduler.start();
  } catch (err) {
    unobserve();
    await unnotify();
    await executor.close?.();
    throw err;
  }
  let server: RunningServer | undefined;
  if (token !== undefined) {
    const app = createApiApp({ scheduler, token, logger, metrics });
    opts.extendApi?.(app, scheduler);
    try {
      server = await listen(app, api.host, api.port);
    } catch (err) {
      await scheduler.stop({ graceMs: 0 });
      unobserve();
      await unnotify();
      throw err;
    }
    logger.info({ event_type: 'api_listening', url: server.url }, `API listening on ${server.url}`);
  }
  return {
    scheduler,
    ...(server ? { server } : {}),
    async stop(graceMs) {
      // Stop the API last but refuse new triggers at once: stop() flips the scheduler's state first.
      await scheduler.stop({ graceMs });
      await server?.close();
      unobserve();
      await unnotify();
      await unrecord();
      await opts.history?.close();
    },
  };
}

async function notificationTargets(
  runner: RunnerConfig,
  secrets: ServiceOptions['secrets'],
): Promise<WebhookTarget[]> {
  const fromEnv = envWebhook();
  const configured = runner.notifications
    ? await resolveWebhooks(runner.notifications, runner.api.secretScope, { ...secrets, env: process.env })
    : [];
  return fromEnv ? [...configured, fromEnv] : configured;
}

/**
 * Finished runs (after their retries: one event per run, whichever executor ran it) and stale
 * schedules to the webhooks. Returns the function that stops it and waits for deliveries.
 */
function notifyScheduler(
  scheduler: Scheduler,
  runner: RunnerConfig,
  clock: Clock,
  webhooks: WebhookTarget[],
  logger: Logger,
): () => Promise<void> {
  if (webhooks.length === 0) return async () => {};
  const notifications: Notifications = createNotifications(webhooks, {
    logger,
    ...(runner.notifications?.attempts ? { attempts: runner.notifications.attempts } : {}),
  });
  const off = scheduler.on((e) => {
    if (e.type === 'run_finished') void notifications.run(entryFromRunRecord(e.run, 'start'));
  });
  const watchesStale = webhooks.some((w) => w.events.has('stale'));
  const unwatch = watchesStale
    ? watchStaleness({
        scheduler,
        schedules: runner.schedules,
        staleAfterIntervals: runner.notifications?.staleAfterIntervals ?? 3,
        clock,
        onStale: (event) => {
          logger.warn(
            { event_type: 'job_stale', schedule: event.schedule, stale_after_s: event.staleAfterSeconds },
            `schedule ${event.schedule} has not succeeded for ${event.staleAfterSeconds} s`,
          );
          void notifications.stale(event);
        },
      })
    : () => {};
  return async () => {
    off();
    unwatch();
    await notifications.flush();
  };
}
