import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadJob } from '../../../host/config/index.js';
import { silentLogger } from '../../../host/observability/logger.js';
import { metricsText, resetMetrics } from '../../../host/observability/metrics.js';
import {
  pluginCallHooks,
  startStage,
  startTracing,
  type Tracing,
  traceRun,
} from '../../../host/observability/tracing.js';
import type { RunReport } from '../../../host/pipeline/report.js';
import { runJob } from '../../../host/pipeline/run-job.js';
import { createPluginSource } from '../../../host/plugins/index.js';
import { buildTestPlugins, fakeJob, pluginDir, REPO, SOURCE_CTX } from '../plugins/fixtures.js';
import { sample } from './prom-text.js';

const QUICKSTART = path.join(REPO, 'examples/quickstart');
let exporter: InMemorySpanExporter;
let tracing: Tracing;

beforeEach(async () => {
  exporter = new InMemorySpanExporter();
  tracing = await startTracing({ exporter });
  resetMetrics();
});
afterEach(async () => {
  await tracing.shutdown();
});

async function quickstartJob(csv = path.join(QUICKSTART, 'data/sales_orders.csv')) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-trace-'));
  const file = path.join(dir, 'orders.yaml');
  await writeFile(
    file,
    [
      'tenant_id: quickstart',
      'source_connector: csv',
      'source_connector_path: connectors/csv.yaml',
      'target_connector: local',
      'target_connector_path: connectors/local.yaml',
      `asset_path: ${path.join(REPO, 'assets/quickstart/sales_orders.yaml')}`,
      'source:',
      '  files:',
      `    - { path: ${csv}, object: sales_orders }`,
      'target:',
      `  connection: { path: ${path.join(dir, 'out')} }`,
      'schema_validation_mode: strict',
      '',
    ].join('\n'),
  );
  return loadJob(file, { cwd: dir, env: process.env, stateDir: path.join(dir, 'state') });
}

const byName = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('tracing', () => {
  it('is off (no provider, nothing exported) unless an endpoint or exporter is configured', async () => {
    await tracing.shutdown();
    const off = await startTracing({ env: {} });
    expect(off.enabled).toBe(false);
    await runJob(await quickstartJob(), { logger: silentLogger(), signal: new AbortController().signal });
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect((await startTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' } })).enabled).toBe(
      true,
    );
  });

  it('a run has one run span and open → extract (validate per batch) → commit stage spans under it', async () => {
    const report = await runJob(await quickstartJob(), {
      logger: silentLogger(),
      signal: new AbortController().signal,
    });
    expect(report.exitCode).toBe(0);
    const spans = exporter.getFinishedSpans();
    const [run] = byName(spans, 'dativo.run');
    expect(byName(spans, 'dativo.run')).toHaveLength(1);
    expect(run?.attributes).toMatchObject({
      'dativo.tenant': 'quickstart',
      'dativo.job': 'orders',
      'dativo.run_id': report.runId,
      'dativo.status': 'succeeded',
      'dativo.rows.written': report.rows.written,
      'dativo.files': report.files.length,
    });
    const runId = run?.spanContext().spanId;
    for (const stage of ['dativo.open', 'dativo.extract', 'dativo.commit']) {
      const s = byName(spans, stage);
      expect(s, stage).toHaveLength(1);
      expect(parentOf(s[0] as ReadableSpan), stage).toBe(runId);
      expect(s[0]?.spanContext().traceId).toBe(run?.spanContext().traceId);
    }
    const extract = byName(spans, 'dativo.extract')[0] as ReadableSpan;
    const validate = byName(spans, 'dativo.validate');
    // One validate span per batch, covering every row read.
    expect(validate.length).toBeGreaterThanOrEqual(1);
    expect(validate.reduce((n, v) => n + Number(v.attributes.rows), 0)).toBe(report.rows.read);
    for (const v of validate) expect(parentOf(v)).toBe(extract.spanContext().spanId);
    // Stages in order, inside the run.
    const t = (s: ReadableSpan) => s.startTime[0] * 1e9 + s.startTime[1];
    const [open, commit] = [
      byName(spans, 'dativo.open')[0],
      byName(spans, 'dativo.commit')[0],
    ] as ReadableSpan[];
    expect(t(open as ReadableSpan)).toBeLessThanOrEqual(t(extract));
    expect(t(extract)).toBeLessThanOrEqual(t(commit as ReadableSpan));
    expect(run?.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('a failed run marks the run span as an error and ends the stage it failed in', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-trace-bad-'));
    const csv = path.join(dir, 'bad.csv');
    await writeFile(
      csv,
      'SalesOrderID,RevisionNumber,OrderDate,DueDate,ShipDate,Status,SalesOrderNumber,CustomerID\n' +
        'notanumber,8,2011-05-31 00:00:00,2011-06-12 00:00:00,,5,SO1,1\n',
    );
    const report = await runJob(await quickstartJob(csv), {
      logger: silentLogger(),
      signal: new AbortController().signal,
    });
    expect(report.exitCode).toBe(2);
    const spans = exporter.getFinishedSpans();
    const run = byName(spans, 'dativo.run')[0];
    expect(run?.status.code).toBe(SpanStatusCode.ERROR);
    expect(run?.attributes['dativo.error.code']).toBe(report.errors[0]?.code);
    expect(byName(spans, 'dativo.commit')).toHaveLength(0);
    // Every span that started was ended (exported).
    expect(byName(spans, 'dativo.extract')).toHaveLength(1);
  });

  describe('plugin calls', () => {
    beforeAll(() => buildTestPlugins(), 180_000);

    it('each plugin call is a span under the stage it happened in, and feeds the plugin metrics', async () => {
      const job = fakeJob({
        source: {
          config: { batches: 3, rows: 1000 },
          plugin: { path: pluginDir('reader'), allow: { hosts: [], secrets: [] } },
        },
      });
      await traceRun(job, async () => {
        const source = await createPluginSource(job, undefined, { hooks: pluginCallHooks });
        const open = startStage('open');
        await source.open(SOURCE_CTX(silentLogger()));
        open.end();
        const extract = startStage('extract');
        for await (const _ of source.read()) {
          // drain
        }
        extract.end();
        await source.close();
        return {
          runId: 'x',
          rows: { read: 0, written: 0, invalid: 0 },
          errors: [],
          files: [],
          bytes: { read: 0, written: 0 },
          exitCode: 0,
          status: 'succeeded',
        } as unknown as RunReport;
      });
      const spans = exporter.getFinishedSpans();
      const calls = byName(spans, 'dativo.plugin.call');
      const extract = byName(spans, 'dativo.extract')[0] as ReadableSpan;
      const open = byName(spans, 'dativo.open')[0] as ReadableSpan;
      const nextBatch = calls.filter((c) => c.attributes['dativo.plugin.call'] === 'next_batch');
      expect(nextBatch).toHaveLength(4); // 3 batches and the empty end
      for (const c of nextBatch) {
        expect(parentOf(c)).toBe(extract.spanContext().spanId);
        expect(c.attributes['dativo.plugin']).toBe('reader');
        expect(Number(c.attributes['dativo.plugin.call_ms'])).toBeGreaterThanOrEqual(0);
      }
      const openCalls = calls.filter((c) => c.attributes['dativo.plugin.call'] === 'open');
      for (const c of openCalls) expect(parentOf(c)).toBe(open.spanContext().spanId);
      const text = await metricsText();
      expect(
        sample(text, 'dativo_plugin_calls_total', { plugin: 'reader', call: 'next_batch', outcome: 'ok' }),
      ).toBe(4);
      expect(sample(text, 'dativo_plugin_cpu_seconds_total', { plugin: 'reader' })).toBeGreaterThan(0);
      expect(sample(text, 'dativo_plugin_memory_high_water_bytes', { plugin: 'reader' })).toBeGreaterThan(0);
    });
  });
});
