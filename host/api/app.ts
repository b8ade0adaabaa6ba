/**
 * The orchestrator's HTTP API (hono). Every route but `/health` needs the bearer token. Other
 * modules add routes to the returned app (e.g. `/metrics`); they are behind the same auth, because
 * the auth middleware is registered first and applies to every route added later.
 *
 *   GET  /health                     liveness, unauthenticated
 *   GET  /ready                      200 while the scheduler runs, 503 before start and while stopping
 *   GET  /schedules                  schedules with next fire time and last run
 *   GET  /runs?state=&schedule=&tenant=&limit=   newest first, with attempts and run reports
 *   GET  /runs/:id
 *   POST /schedules/:name/trigger    202 queued · 409 skipped (max_concurrent_runs) · 404 · 422 job invalid · 503
 *   POST /runs/:id/cancel            202 cancelling · 200 cancelled (was waiting) · 404 · 409 already finished
 *   GET  /metrics                    Prometheus text (with `metrics: true`); behind the token like the rest,
 *                                    Prometheus sends it with `authorization.credentials_file`
 */
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../observability/logger.js';
import { metricsResponse } from '../observability/metrics.js';
import type { RunRecord } from '../orchestrator/runs.js';
import type { Scheduler } from '../orchestrator/scheduler.js';
import { masker } from '../secrets/masker.js';
import { bearerAuth } from './auth.js';

export interface ApiOptions {
  scheduler: Scheduler;
  /** The bearer token (from the secret manager). */
  token: string;
  logger: Logger;
  /** Serve the process's Prometheus registry on `/metrics` (default false). */
  metrics?: boolean;
}

export const PUBLIC_PATHS = ['/health'];

/** JSON through the masker: reports carry messages that may quote a secret. */
function json(value: unknown, status: ContentfulStatusCode = 200): Response {
  return new Response(masker.mask(JSON.stringify(value)), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

function problem(status: ContentfulStatusCode, code: string, message: string, extra: object = {}): Response {
  return json({ error: { code, message }, ...extra }, status);
}

export function createApiApp(opts: ApiOptions): Hono {
  const { scheduler } = opts;
  const app = new Hono();
  app.use('*', bearerAuth({ token: opts.token, publicPaths: PUBLIC_PATHS, logger: opts.logger }));

  app.get('/health', () => json({ status: 'ok' }));

  app.get('/ready', () => {
    const ready = scheduler.state === 'running';
    return json(
      { ready, state: scheduler.state, executor: scheduler.executorKind, busy: scheduler.busy() },
      ready ? 200 : 503,
    );
  });

  app.get('/schedules', () => json({ schedules: scheduler.schedules() }));

  // Metrics carry tenant and job names: they are no more public than /runs.
  if (opts.metrics) app.get('/metrics', () => metricsResponse());

  app.get('/runs', (c) => {
    const { state, schedule, tenant } = c.req.query();
    const limit = Math.max(1, Math.min(1000, Number(c.req.query('limit') ?? 100) || 100));
    const match = (r: RunRecord) =>
      (!state || r.state === state) &&
      (!schedule || r.schedule === schedule) &&
      (!tenant || r.tenant === tenant);
    const runs = scheduler.runs().filter(match).reverse().slice(0, limit);
    return json({ runs });
  });

  app.get('/runs/:id', (c) => {
    const run = scheduler.run(c.req.param('id'));
    return run ? json(run) : problem(404, 'NOT_FOUND', `no run ${c.req.param('id')}`);
  });

  app.post('/schedules/:name/trigger', async (c) => {
    const name = c.req.param('name');
    const r = await scheduler.trigger(name);
    switch (r.outcome) {
      case 'queued':
        return json({ run: r.run }, 202);
      case 'skipped':
        return problem(409, 'SKIPPED', r.run.reason ?? 'skipped', { run: r.run });
      case 'unknown_schedule':
        return problem(404, 'NOT_FOUND', `no schedule ${name}`);
      case 'job_invalid':
        return problem(
          422,
          r.error.code,
          `${r.error.location ? `${r.error.location}: ` : ''}${r.error.message}`,
        );
      default:
        return problem(503, 'STOPPING', 'the orchestrator is shutting down');
    }
  });

  app.post('/runs/:id/cancel', async (c) => {
    const id = c.req.param('id');
    const r = await scheduler.cancel(id);
    switch (r) {
      case 'cancelling':
        return json({ id, status: 'cancelling' }, 202);
      case 'cancelled':
        return json({ id, status: 'cancelled' }, 200);
      case 'finished':
        return problem(409, 'FINISHED', `run ${id} has already finished`);
      default:
        return problem(404, 'NOT_FOUND', `no run ${id}`);
    }
  });

  app.notFound(() => problem(404, 'NOT_FOUND', 'no such endpoint'));
  app.onError((err) => {
    opts.logger.error({ event_type: 'api_error', err: masker.mask(String(err)) }, 'API handler failed');
    return problem(500, 'INTERNAL', 'internal error');
  });
  return app;
}
