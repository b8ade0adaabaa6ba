/**
 * The web console (`dativo console`, or beside the API in `dativo start --console-port`): a Hono
 * app over the run history store.
 *
 *   GET  /runs?job=&status=        runs list with filters
 *   GET  /runs/:id                 run detail: streams, rows, files, duration, error, logs
 *   GET  /jobs                     jobs with schedule, next run, last status, rows-per-run chart
 *   POST /runs/:id/retry           trigger the run's schedule again        (operators only)
 *   POST /schedules/:name/trigger  trigger a schedule now                   (operators only)
 *   POST /login                    token form → HttpOnly SameSite=Strict cookie
 *
 * Without an operator token the console is read-only: POST routes answer 404 and no button is
 * shown. With one, a POST needs the token (bearer header or the login cookie) and the CSRF token of
 * the page it came from (an HMAC of the operator token, in a hidden field): a cross-site form
 * cannot read it, and Hono's csrf() refuses a foreign Origin before either is checked.
 */
import { createHmac } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { tokenMatches } from '../api/auth.js';
import type { Logger } from '../observability/logger.js';
import type { Scheduler } from '../orchestrator/scheduler.js';
import { masker } from '../secrets/masker.js';
import type { HistoryStore } from '../store/types.js';
import { type JobRow, JobsPage, Layout, RunPage, RunsPage } from './pages.js';

export interface ConsoleOptions {
  store: HistoryStore;
  logger: Logger;
  /** The operator token (`--token-file`); without it the console is read-only. */
  token?: string;
  /** Mounted in `dativo start`: schedules, next runs, and what the buttons trigger. */
  scheduler?: Pick<Scheduler, 'schedules' | 'trigger'>;
}

const COOKIE = 'dativo_console';

export function csrfTokenFor(token: string): string {
  return createHmac('sha256', token).update('dativo-console-csrf').digest('hex');
}

/** Rendered pages pass the masker like every API answer: error messages may quote a secret. */
const page = (html: string, status = 200) =>
  new Response(masker.mask(`<!doctype html>${html}`), {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
  });

export function createConsoleApp(opts: ConsoleOptions): Hono {
  const { store, token, scheduler } = opts;
  if (token) masker.register(token);
  const operator = token && scheduler ? { csrf: csrfTokenFor(token) } : undefined;
  const app = new Hono();

  app.get('/', (c) => c.redirect('/runs'));

  app.get('/runs', async (c) => {
    const job = c.req.query('job') || undefined;
    const status = c.req.query('status') || undefined;
    const runs = await store.listRuns({ ...(job ? { job } : {}), ...(status ? { status } : {}), limit: 200 });
    const jobs = [...new Set((await store.listRuns({ limit: 1000 })).map((r) => r.job))].sort();
    return page(
      String(<RunsPage runs={runs} jobs={jobs} {...(job ? { job } : {})} {...(status ? { status } : {})} />),
    );
  });

  app.get('/runs/:id', async (c) => {
    const run = await store.getRun(c.req.param('id'));
    if (!run) return page(String(<Layout title="Run not found">No such run.</Layout>), 404);
    const logs = await store.runLogs(run.id);
    return page(String(<RunPage run={run} logs={logs} {...(operator ? { retry: operator } : {})} />));
  });

  app.get('/jobs', async () =>
    page(
      String(
        <JobsPage jobs={await jobRows(store, scheduler)} {...(operator ? { trigger: operator } : {})} />,
      ),
    ),
  );

  if (!operator || !token) return app;

  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    if (!tokenMatches(token, String(form.token ?? ''))) return c.text('wrong token', 401);
    setCookie(c, COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/' });
    return c.redirect('/jobs', 303);
  });
  app.get('/login', () =>
    page(
      String(
        <Layout title="Operator login">
          <form method="post" action="/login">
            <input type="password" name="token" aria-label="token" />
            <button type="submit">Log in</button>
          </form>
        </Layout>,
      ),
    ),
  );

  // Origin check first, then the operator token, then the page's CSRF token.
  app.use('/runs/:id/retry', csrf());
  app.use('/schedules/:name/trigger', csrf());
  const guard = async (c: Context) => {
    const bearer = /^Bearer\s+(.+)$/i.exec((c.req.header('authorization') ?? '').trim())?.[1];
    if (!tokenMatches(token, bearer ?? getCookie(c, COOKIE))) {
      opts.logger.warn(
        { event_type: 'console_unauthorized', path: c.req.path },
        'console POST without the token',
      );
      return c.text('a valid operator token is required', 401);
    }
    const form = await c.req.parseBody();
    if (!tokenMatches(operator.csrf, String(form._csrf ?? '')))
      return c.text('missing or wrong CSRF token', 403);
    return undefined;
  };
  const triggered = async (name: string) => {
    const r = await scheduler!.trigger(name);
    if (r.outcome === 'queued') return { status: 303 as const, to: `/runs/${encodeURIComponent(r.run.id)}` };
    return {
      status: r.outcome === 'unknown_schedule' ? (404 as const) : (409 as const),
      text: `not triggered: ${r.outcome}`,
    };
  };

  app.post('/runs/:id/retry', async (c) => {
    const refused = await guard(c);
    if (refused) return refused;
    const run = await store.getRun(c.req.param('id'));
    if (!run?.schedule) return c.text('this run has no schedule to run again', 404);
    const t = await triggered(run.schedule);
    return 'to' in t ? c.redirect(t.to!, 303) : c.text(t.text!, t.status);
  });
  app.post('/schedules/:name/trigger', async (c) => {
    const refused = await guard(c);
    if (refused) return refused;
    const t = await triggered(c.req.param('name'));
    return 'to' in t ? c.redirect(t.to!, 303) : c.text(t.text!, t.status);
  });
  return app;
}

/** The jobs of the recent history, with their schedules when a scheduler is mounted. */
async function jobRows(store: HistoryStore, scheduler?: ConsoleOptions['scheduler']): Promise<JobRow[]> {
  const runs = await store.listRuns({ limit: 1000 });
  const byJob = new Map<string, JobRow>();
  for (const s of scheduler?.schedules() ?? []) {
    const job = s.jobName ?? s.name;
    byJob.set(job, {
      job,
      schedule: s.name,
      ...(s.cron ? { cron: s.cron } : s.intervalSeconds ? { cron: `every ${s.intervalSeconds} s` } : {}),
      ...(s.nextFireAt ? { nextRunAt: s.nextFireAt } : {}),
      rowsPerRun: [],
    });
  }
  // Newest first from the store: the first seen is the last run; the chart wants oldest first.
  for (const r of runs) {
    const row = byJob.get(r.job) ?? { job: r.job, rowsPerRun: [] };
    row.last ??= r;
    if (row.rowsPerRun.length < 30)
      row.rowsPerRun.unshift({ id: r.id, rows: r.rows.written, status: r.status });
    byJob.set(r.job, row);
  }
  return [...byJob.values()].sort((a, b) => a.job.localeCompare(b.job));
}
