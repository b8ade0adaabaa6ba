import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  metricsResponse,
  metricsText,
  recordPluginCall,
  recordRunReport,
  resetMetrics,
  trackActiveRun,
  writeMetricsFile,
} from '../../../host/observability/metrics.js';
import type { RunReport } from '../../../host/pipeline/report.js';
import { sample } from './prom-text.js';

function report(over: Partial<RunReport> = {}): RunReport {
  return {
    runId: 'r1',
    job: 'orders',
    jobFile: '/jobs/orders.yaml',
    tenant: 'acme',
    status: 'succeeded',
    exitCode: 0,
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:00:02.500Z',
    durationsMs: { total: 2500, extract: 2000, commit: 300 },
    source: { type: 'csv', engine: 'native', files: [] },
    target: { type: 's3' },
    rows: { read: 100, written: 98, invalid: 2 },
    bytes: { read: 4000, written: 1500 },
    files: [
      { key: 'a.parquet', rows: 50, bytes: 700 },
      { key: 'b.parquet', rows: 48, bytes: 800 },
    ],
    errors: [],
    errorsByCode: {},
    resources: { peakRssMb: 100, cpuUserMs: 1, cpuSystemMs: 1 },
    ...over,
  };
}

beforeEach(() => resetMetrics());

describe('run metrics from reports', () => {
  it('sums rows, bytes, files and runs by status exactly as the reports say', async () => {
    recordRunReport(report());
    recordRunReport(
      report({
        runId: 'r2',
        rows: { read: 7, written: 7, invalid: 0 },
        files: [],
        bytes: { read: 10, written: 0 },
      }),
    );
    recordRunReport(
      report({
        runId: 'r3',
        status: 'failed',
        exitCode: 2,
        rows: { read: 3, written: 0, invalid: 0 },
        bytes: { read: 5, written: 0 },
        files: [],
        errors: [
          { code: 'CONNECTION_FAILED', message: 'x', retryable: true },
          { code: 'CONNECTION_FAILED', message: 'y', retryable: true },
        ],
        errorsByCode: { CONNECTION_FAILED: 2 },
      }),
    );
    recordRunReport(report({ tenant: 'globex', job: 'users' }));
    const text = await metricsText();
    const l = { tenant: 'acme', job: 'orders' };
    expect(sample(text, 'dativo_rows_read_total', l)).toBe(110);
    expect(sample(text, 'dativo_rows_written_total', l)).toBe(105);
    expect(sample(text, 'dativo_rows_invalid_total', l)).toBe(2);
    expect(sample(text, 'dativo_bytes_read_total', l)).toBe(4015);
    expect(sample(text, 'dativo_bytes_written_total', l)).toBe(1500);
    expect(sample(text, 'dativo_files_written_total', l)).toBe(2);
    expect(sample(text, 'dativo_runs_total', { ...l, status: 'succeeded' })).toBe(2);
    expect(sample(text, 'dativo_runs_total', { ...l, status: 'failed' })).toBe(1);
    expect(sample(text, 'dativo_errors_total', { ...l, code: 'CONNECTION_FAILED' })).toBe(2);
    expect(sample(text, 'dativo_rows_written_total', { tenant: 'globex', job: 'users' })).toBe(98);
    expect(sample(text, 'dativo_run_duration_seconds_count', { ...l, stage: 'total' })).toBe(3);
    expect(sample(text, 'dativo_run_duration_seconds_sum', { ...l, stage: 'commit' })).toBeCloseTo(0.9);
    expect(sample(text, 'dativo_last_run_finished_timestamp_seconds', { ...l, status: 'succeeded' })).toBe(
      Date.parse('2025-01-01T00:00:02.500Z') / 1000,
    );
    expect(sample(text, 'dativo_process_peak_rss_bytes')).toBe(100 * 1024 * 1024);
  });

  it('tracks active runs and plugin calls (time and memory high-water)', async () => {
    const done = trackActiveRun('acme');
    expect(sample(await metricsText(), 'dativo_active_runs', { tenant: 'acme' })).toBe(1);
    done();
    done(); // idempotent
    expect(sample(await metricsText(), 'dativo_active_runs', { tenant: 'acme' })).toBe(0);

    recordPluginCall({ plugin: 'reader', call: 'next_batch', ok: true, callMs: 250, peakBytes: 4096 });
    recordPluginCall({ plugin: 'reader', call: 'next_batch', ok: false, callMs: 750, peakBytes: 1024 });
    const text = await metricsText();
    expect(sample(text, 'dativo_plugin_calls_total', { plugin: 'reader', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'dativo_plugin_calls_total', { plugin: 'reader', outcome: 'error' })).toBe(1);
    expect(sample(text, 'dativo_plugin_cpu_seconds_total', { plugin: 'reader' })).toBeCloseTo(1);
    expect(sample(text, 'dativo_plugin_memory_high_water_bytes', { plugin: 'reader' })).toBe(4096);
  });

  it('writes a Prometheus textfile atomically and serves the same text as a web Response', async () => {
    recordRunReport(report());
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-metrics-'));
    const file = path.join(dir, 'sub', 'dativo.prom');
    await writeMetricsFile(file);
    const text = await readFile(file, 'utf8');
    expect(sample(text, 'dativo_rows_written_total', { tenant: 'acme', job: 'orders' })).toBe(98);
    expect(text).toContain('# TYPE dativo_rows_written_total counter');
    expect(await readdir(path.dirname(file))).toEqual(['dativo.prom']);
    const res = await metricsResponse();
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(sample(await res.text(), 'dativo_files_written_total', { job: 'orders' })).toBe(2);
  });
});
