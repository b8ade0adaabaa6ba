/**
 * Prometheus metrics (prom-client). Run counters are recorded from the finished RunReport and from
 * nothing else, so what `/metrics` (or the textfile of a one-shot run) says always matches the
 * reports: rows, bytes, files and errors are the report's own numbers.
 *
 * Plugin metrics come from the plugin host's per-call stats (see tracing.ts, which observes the
 * calls): time spent inside calls and the high-water mark of the memory the host allocates on the
 * plugin's behalf (kernel blocks, vars, output).
 *
 * One registry per process (`metricsRegistry`): `start` and `worker` serve it on `/metrics`,
 * `dativo run --metrics-file` writes it to a file for node_exporter's textfile collector.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RunReport } from '../pipeline/report.js';

export const metricsRegistry = new Registry();

const RUN = ['tenant', 'job'] as const;
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

const m = {
  runs: new Counter({
    name: 'dativo_runs_total',
    help: 'Finished runs by status (succeeded, succeeded_with_warnings, nothing_new, failed, interrupted)',
    labelNames: [...RUN, 'status'],
    registers: [metricsRegistry],
  }),
  rowsRead: new Counter({
    name: 'dativo_rows_read_total',
    help: 'Rows read from sources (report rows.read)',
    labelNames: RUN,
    registers: [metricsRegistry],
  }),
  rowsWritten: new Counter({
    name: 'dativo_rows_written_total',
    help: 'Rows committed to targets (report rows.written)',
    labelNames: RUN,
    registers: [metricsRegistry],
  }),
  rowsInvalid: new Counter({
    name: 'dativo_rows_invalid_total',
    help: 'Rows with validation issues (report rows.invalid)',
    labelNames: RUN,
    registers: [metricsRegistry],
  }),
  bytesRead: new Counter({
    name: 'dativo_bytes_read_total',
    help: 'Bytes read from sources (report bytes.read)',
    labelNames: RUN,
    registers: [metricsRegistry],
  }),
  bytesWritten: new Counter({
    name: 'dativo_bytes_written_total',
    help: 'Bytes of committed data files (report bytes.written)',
    labelNames: RUN,
    registers: [metricsRegistry],
  }),
  files: new Counter({
    name: 'dativo_files_written_total',
    help: 'Committed data files (report files)',
    labelNames: RUN,
    registers: [metricsRegistry],
  }),
  errors: new Counter({
    name: 'dativo_errors_total',
    help: 'Run errors by code (report errorsByCode)',
    labelNames: [...RUN, 'code'],
    registers: [metricsRegistry],
  }),
  duration: new Histogram({
    name: 'dativo_run_duration_seconds',
    help: 'Run wall time by stage (total, extract, commit; report durationsMs)',
    labelNames: [...RUN, 'stage'],
    buckets: DURATION_BUCKETS,
    registers: [metricsRegistry],
  }),
  lastFinished: new Gauge({
    name: 'dativo_last_run_finished_timestamp_seconds',
    help: 'When the last run of a job finished (Unix time), by status',
    labelNames: [...RUN, 'status'],
    registers: [metricsRegistry],
  }),
  peakRss: new Gauge({
    name: 'dativo_process_peak_rss_bytes',
    help: 'Peak resident set size of the process, as of the last finished run',
    registers: [metricsRegistry],
  }),
  pluginCalls: new Counter({
    name: 'dativo_plugin_calls_total',
    help: 'Plugin calls by plugin, export and outcome (ok, error)',
    labelNames: ['plugin', 'call', 'outcome'],
    registers: [metricsRegistry],
  }),
  pluginCpu: new Counter({
    name: 'dativo_plugin_cpu_seconds_total',
    help:
      "Time spent inside plugin calls, measured in the plugin's sandbox thread (the WebAssembly code " +
      'runs synchronously there, so this is its CPU time plus any wait on host HTTP calls)',
    labelNames: ['plugin', 'call'],
    registers: [metricsRegistry],
  }),
  pluginMemory: new Gauge({
    name: 'dativo_plugin_memory_high_water_bytes',
    help: "Highest number of bytes the host held on a plugin's behalf (kernel blocks, vars, results)",
    labelNames: ['plugin'],
    registers: [metricsRegistry],
  }),
  activeRuns: new Gauge({
    name: 'dativo_active_runs',
    help: 'Runs executing in this process now',
    labelNames: ['tenant'],
    registers: [metricsRegistry],
  }),
  // The orchestrator's view (`dativo start`): runs as the scheduler sees them, wherever they execute.
  // Separate names from the run counters above, so a Prometheus summing `start` and its workers
  // never counts a run twice.
  schedulerRuns: new Counter({
    name: 'dativo_scheduler_runs_total',
    help: 'Schedule firings and manual triggers, by outcome: queued, or skipped (max_concurrent_runs)',
    labelNames: ['schedule', 'tenant', 'trigger', 'outcome'],
    registers: [metricsRegistry],
  }),
  schedulerRetries: new Counter({
    name: 'dativo_scheduler_retries_total',
    help: "Retries scheduled after a failed attempt (the job's retry_config)",
    labelNames: ['schedule', 'tenant'],
    registers: [metricsRegistry],
  }),
  schedulerFinished: new Counter({
    name: 'dativo_scheduler_runs_finished_total',
    help: 'Runs finished, by final state (succeeded, nothing_new, failed, cancelled, interrupted, ...)',
    labelNames: ['schedule', 'tenant', 'state'],
    registers: [metricsRegistry],
  }),
  schedulerActive: new Gauge({
    name: 'dativo_scheduler_active_runs',
    help: 'Active runs of the orchestrator by state: queued, running (here or on a worker), retry_wait',
    labelNames: ['schedule', 'tenant', 'state'],
    registers: [metricsRegistry],
    collect() {
      // Read at scrape time from the scheduler, so the gauge can never drift from its records.
      this.reset();
      for (const a of activeRunsSource?.() ?? []) {
        this.set({ schedule: a.schedule, tenant: a.tenant, state: a.state }, a.count);
      }
    },
  }),
};

export interface ActiveRunCount {
  schedule: string;
  tenant: string;
  state: string;
  count: number;
}

let activeRunsSource: (() => ActiveRunCount[]) | undefined;

/** What the scheduler counts; `dativo start` feeds its events in here (orchestrator/scheduler-metrics.ts). */
export type SchedulerCount =
  | { kind: 'queued' | 'skipped'; schedule: string; tenant: string; trigger: string }
  | { kind: 'retry'; schedule: string; tenant: string }
  | { kind: 'finished'; schedule: string; tenant: string; state: string };

export function countSchedulerEvent(c: SchedulerCount): void {
  const l = { schedule: c.schedule, tenant: c.tenant };
  if (c.kind === 'retry') m.schedulerRetries.inc(l);
  else if (c.kind === 'finished') m.schedulerFinished.inc({ ...l, state: c.state });
  else m.schedulerRuns.inc({ ...l, trigger: c.trigger, outcome: c.kind });
}

/** Where `dativo_scheduler_active_runs` reads its values at scrape time (undefined: none). */
export function setActiveRunsSource(source: (() => ActiveRunCount[]) | undefined): void {
  activeRunsSource = source;
}

/** Count one finished run. Call exactly once per report. */
export function recordRunReport(report: RunReport): void {
  const l = { tenant: report.tenant, job: report.job };
  m.runs.inc({ ...l, status: report.status });
  m.rowsRead.inc(l, report.rows.read);
  m.rowsWritten.inc(l, report.rows.written);
  m.rowsInvalid.inc(l, report.rows.invalid);
  m.bytesRead.inc(l, report.bytes.read);
  m.bytesWritten.inc(l, report.bytes.written);
  m.files.inc(l, report.files.length);
  for (const [code, n] of Object.entries(report.errorsByCode)) m.errors.inc({ ...l, code }, n);
  for (const stage of ['total', 'extract', 'commit'] as const) {
    m.duration.observe({ ...l, stage }, report.durationsMs[stage] / 1000);
  }
  const finished = Date.parse(report.finishedAt);
  if (!Number.isNaN(finished)) m.lastFinished.set({ ...l, status: report.status }, finished / 1000);
  if (report.resources) m.peakRss.set(report.resources.peakRssMb * 1024 * 1024);
}

/** Stats of one plugin call, as the plugin host reports them. */
export interface PluginCallStats {
  plugin: string;
  call: string;
  ok: boolean;
  /** Time inside the call in the sandbox thread. */
  callMs?: number;
  /** Peak bytes the host allocated on the plugin's behalf so far. */
  peakBytes?: number;
}

const memoryPeaks = new Map<string, number>();

export function recordPluginCall(s: PluginCallStats): void {
  m.pluginCalls.inc({ plugin: s.plugin, call: s.call, outcome: s.ok ? 'ok' : 'error' });
  if (s.callMs !== undefined) m.pluginCpu.inc({ plugin: s.plugin, call: s.call }, s.callMs / 1000);
  if (s.peakBytes !== undefined && s.peakBytes > (memoryPeaks.get(s.plugin) ?? -1)) {
    memoryPeaks.set(s.plugin, s.peakBytes);
    m.pluginMemory.set({ plugin: s.plugin }, s.peakBytes);
  }
}

/** +1 while a run executes (the worker and `start` call this around each run). */
export function trackActiveRun(tenant: string): () => void {
  m.activeRuns.inc({ tenant });
  let done = false;
  return () => {
    if (done) return;
    done = true;
    m.activeRuns.dec({ tenant });
  };
}

let defaults = false;
/** Process metrics (CPU, memory, event loop, GC) for long-running services; once per process. */
export function enableProcessMetrics(): void {
  if (defaults) return;
  defaults = true;
  collectDefaultMetrics({ register: metricsRegistry, prefix: 'dativo_' });
}

export const METRICS_CONTENT_TYPE = metricsRegistry.contentType;

export function metricsText(): Promise<string> {
  return metricsRegistry.metrics();
}

/**
 * `/metrics` as a web-standard handler: mount it in hono with `app.get('/metrics', metricsResponse)`.
 */
export async function metricsResponse(): Promise<Response> {
  return new Response(await metricsText(), { headers: { 'content-type': METRICS_CONTENT_TYPE } });
}

/**
 * Write the registry as a Prometheus textfile (node_exporter `--collector.textfile.directory`):
 * to a temp file and renamed, so the collector never reads half a file.
 */
export async function writeMetricsFile(file: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, await metricsText());
  await rename(tmp, file);
}

/** Forget every value (tests). */
export function resetMetrics(): void {
  metricsRegistry.resetMetrics();
  memoryPeaks.clear();
}
