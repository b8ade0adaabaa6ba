/**
 * The console's pages, server-rendered with Hono's JSX (no bundler, no client script): a runs list
 * with filters, a run's detail, and the jobs with their schedule, last status and a rows-per-run
 * chart drawn as inline SVG.
 */
import type { Child } from 'hono/jsx';
import { duration } from '../store/format.js';
import type { LogLine, RunEntry } from '../store/types.js';

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:10px 20px;display:flex;gap:20px;align-items:center}
header a{color:#cfd6e4;text-decoration:none} header b{margin-right:20px}
main{padding:16px 20px} table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e3e6eb;padding:6px 8px;text-align:left;font-size:14px;vertical-align:top}
th{background:#eef0f4} .status{padding:2px 8px;border-radius:10px;font-size:12px;color:#fff}
.succeeded,.nothing_new{background:#2e8540}.succeeded_with_warnings,.retry_wait{background:#c98a00}
.failed,.interrupted{background:#c62828}.running,.queued{background:#1565c0}.cancelled,.skipped{background:#6a1b9a}
.error{background:#fdecea;border:1px solid #f5c2c0;padding:10px;white-space:pre-wrap;font-family:monospace}
pre{background:#fff;border:1px solid #e3e6eb;padding:8px;overflow:auto;font-size:12px}
form.filters{margin-bottom:12px;display:flex;gap:8px;align-items:end} label{font-size:12px;display:block}
dl{display:grid;grid-template-columns:140px 1fr;gap:4px 12px} dt{color:#5b6475}
`;

export function Layout(props: { title: string; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>{props.title} · dativo</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <header>
          <b>dativo</b>
          <a href="/runs">Runs</a>
          <a href="/jobs">Jobs</a>
        </header>
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export const Status = (props: { status: string }) => (
  <span class={`status ${props.status}`} data-status={props.status}>
    {props.status}
  </span>
);

const STATUSES = [
  '',
  'succeeded',
  'succeeded_with_warnings',
  'nothing_new',
  'failed',
  'interrupted',
  'running',
];

export function RunsPage(props: { runs: RunEntry[]; jobs: string[]; job?: string; status?: string }) {
  return (
    <Layout title="Runs">
      <form class="filters" method="get" action="/runs">
        <div>
          <label for="job">Job</label>
          <select id="job" name="job">
            <option value="">all</option>
            {props.jobs.map((j) => (
              <option value={j} selected={j === props.job}>
                {j}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="status">Status</label>
          <select id="status" name="status">
            {STATUSES.map((s) => (
              <option value={s} selected={s === (props.status ?? '')}>
                {s || 'all'}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" id="apply">
          Filter
        </button>
      </form>
      <table id="runs">
        <thead>
          <tr>
            <th>Run</th>
            <th>Job</th>
            <th>Tenant</th>
            <th>Status</th>
            <th>Started</th>
            <th>Duration</th>
            <th>Rows</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {props.runs.map((r) => (
            <tr data-run={r.id}>
              <td>
                <a href={`/runs/${encodeURIComponent(r.id)}`}>{r.id}</a>
              </td>
              <td>{r.job}</td>
              <td>{r.tenant}</td>
              <td>
                <Status status={r.status} />
              </td>
              <td>{r.startedAt}</td>
              <td>{duration(r.durationMs)}</td>
              <td>{r.rows.written}</td>
              <td>{r.errorCode ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.runs.length === 0 ? <p id="empty">No runs match.</p> : null}
    </Layout>
  );
}

export function RunPage(props: { run: RunEntry; logs: LogLine[]; retry?: { csrf: string } }) {
  const r = props.run;
  return (
    <Layout title={`Run ${r.id}`}>
      <dl>
        <dt>Job</dt>
        <dd>{r.job}</dd>
        <dt>Status</dt>
        <dd>
          <Status status={r.status} /> {r.exitCode !== undefined ? `exit ${r.exitCode}` : ''}
        </dd>
        <dt>Trigger</dt>
        <dd>
          {r.trigger} via {r.origin} on {r.host}
        </dd>
        <dt>Started</dt>
        <dd>{r.startedAt}</dd>
        <dt>Duration</dt>
        <dd>{duration(r.durationMs)}</dd>
        <dt>Rows</dt>
        <dd id="rows">
          {r.rows.read} read, {r.rows.written} written, {r.rows.invalid} invalid
        </dd>
        <dt>Peak RSS</dt>
        <dd>{r.peakRssMb !== undefined ? `${r.peakRssMb} MB` : '-'}</dd>
      </dl>
      {r.errorCode ? (
        <div class="error" id="error">
          [{r.errorCode}] {r.errorMessage}
        </div>
      ) : null}
      {props.retry && r.schedule ? (
        <form method="post" action={`/runs/${encodeURIComponent(r.id)}/retry`}>
          <input type="hidden" name="_csrf" value={props.retry.csrf} />
          <button type="submit" id="retry">
            Run {r.schedule} again
          </button>
        </form>
      ) : null}
      <h2>Streams</h2>
      <table id="streams">
        <thead>
          <tr>
            <th>Stream</th>
            <th>Status</th>
            <th>Rows written</th>
            <th>Bytes written</th>
            <th>Files</th>
          </tr>
        </thead>
        <tbody>
          {r.streams.map((s) => (
            <tr>
              <td>{s.name}</td>
              <td>
                <Status status={s.status} />
              </td>
              <td>{s.rows.written}</td>
              <td>{s.bytes.written}</td>
              <td>{s.files}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Files</h2>
      <ul id="files">
        {r.files.map((f) => (
          <li>
            {f.key} ({f.rows} rows, {f.bytes} bytes)
          </li>
        ))}
      </ul>
      <h2>Warnings and errors logged</h2>
      <pre id="logs">{props.logs.map((l) => `${l.at} ${l.level.toUpperCase()} ${l.message}`).join('\n')}</pre>
    </Layout>
  );
}

export interface JobRow {
  job: string;
  schedule?: string;
  cron?: string;
  nextRunAt?: string;
  last?: RunEntry;
  /** Oldest first, for the chart. */
  rowsPerRun: { id: string; rows: number; status: string }[];
}

function RowsChart(props: { points: JobRow['rowsPerRun'] }) {
  const max = Math.max(1, ...props.points.map((p) => p.rows));
  const w = 8;
  return (
    <svg width={props.points.length * (w + 2)} height="40" role="img" aria-label="rows per run">
      {props.points.map((p, i) => {
        const h = Math.max(1, Math.round((p.rows / max) * 38));
        return (
          <rect
            x={i * (w + 2)}
            y={40 - h}
            width={w}
            height={h}
            class="bar"
            fill={p.status === 'failed' ? '#c62828' : '#1565c0'}
          >
            <title>{`${p.id}: ${p.rows} rows`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

export function JobsPage(props: { jobs: JobRow[]; trigger?: { csrf: string } }) {
  return (
    <Layout title="Jobs">
      <table id="jobs">
        <thead>
          <tr>
            <th>Job</th>
            <th>Schedule</th>
            <th>Next run</th>
            <th>Last status</th>
            <th>Rows per run</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {props.jobs.map((j) => (
            <tr data-job={j.job}>
              <td>
                <a href={`/runs?job=${encodeURIComponent(j.job)}`}>{j.job}</a>
              </td>
              <td>{j.schedule ? `${j.schedule}${j.cron ? ` (${j.cron})` : ''}` : '-'}</td>
              <td>{j.nextRunAt ?? '-'}</td>
              <td>{j.last ? <Status status={j.last.status} /> : '-'}</td>
              <td>
                <RowsChart points={j.rowsPerRun} />
              </td>
              <td>
                {props.trigger && j.schedule ? (
                  <form method="post" action={`/schedules/${encodeURIComponent(j.schedule)}/trigger`}>
                    <input type="hidden" name="_csrf" value={props.trigger.csrf} />
                    <button type="submit">Run now</button>
                  </form>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
