/**
 * OpenTelemetry traces: one span per run (`dativo.run`), per stage (`dativo.open`, `dativo.extract`,
 * `dativo.validate` per batch, `dativo.commit`) and per plugin call (`dativo.plugin.call`).
 *
 * Off by default: until `startTracing` installs a provider, `@opentelemetry/api` hands out its
 * no-op tracer and every span here costs a few object allocations. `startTracing` exports over
 * OTLP/HTTP to `--otlp-endpoint` or the standard `OTEL_EXPORTER_OTLP_ENDPOINT` /
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or to any exporter a test passes (InMemorySpanExporter).
 *
 * Stages are marked in run-job.ts with `startStage(name)` / `.end()` rather than callbacks, so the
 * pipeline's code keeps its shape. Each run keeps a stack of its open stages in its trace context;
 * plugin calls (observed by wrapping the plugin host's `call`, so the plugin host needs no
 * knowledge of tracing) and nested stages become children of the innermost open stage.
 */
import { type Context, context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ResolvedJob } from '../config/types.js';
import type { RunReport } from '../pipeline/report.js';
import { recordPluginCall } from './metrics.js';

const TRACER = 'dativo';
const tracer = () => trace.getTracer(TRACER);

export interface TracingOptions {
  /** OTLP/HTTP base URL (`/v1/traces` is appended); default from the OTEL_* environment. */
  endpoint?: string;
  /** Export here instead (tests: InMemorySpanExporter); spans are exported as they end. */
  exporter?: SpanExporter;
  serviceName?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Flush pending spans and uninstall the provider (tracing is off again afterwards). */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, shutdown: async () => {} };

/**
 * Install a tracer provider when an endpoint or exporter is configured; otherwise stay no-op. The
 * SDK and the exporter are imported only then: they cost ~0.15 s of start-up to every command.
 */
export async function startTracing(opts: TracingOptions = {}): Promise<Tracing> {
  const env = opts.env ?? process.env;
  const endpoint = opts.endpoint ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!opts.exporter && !endpoint) return OFF;
  if (env.OTEL_SDK_DISABLED === 'true' && !opts.exporter) return OFF;
  const [{ BatchSpanProcessor, SimpleSpanProcessor }, { NodeTracerProvider }, { resourceFromAttributes }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/resources'),
    ]);
  let processor: SpanProcessor;
  if (opts.exporter) processor = new SimpleSpanProcessor(opts.exporter);
  else {
    // A flag is a base URL like OTEL_EXPORTER_OTLP_ENDPOINT; the traces variable is the full URL.
    const url =
      opts.endpoint !== undefined || !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
        ? `${String(endpoint).replace(/\/+$/, '')}/v1/traces`
        : env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    processor = new BatchSpanProcessor(new OTLPTraceExporter({ url }));
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': opts.serviceName ?? env.OTEL_SERVICE_NAME ?? 'dativo',
    }),
    spanProcessors: [processor],
  });
  provider.register();
  return {
    enabled: true,
    async shutdown() {
      await provider.forceFlush().catch(() => {});
      await provider.shutdown().catch(() => {});
      trace.disable();
      context.disable();
    },
  };
}

// --- runs and stages ----------------------------------------------------------------------------

/** A run's open stage spans, innermost last; kept in the run's context. */
interface StageStack {
  spans: Span[];
}
const STAGES = Symbol.for('dativo.stages');

function stackOf(ctx: Context = context.active()): StageStack | undefined {
  return ctx.getValue(STAGES) as StageStack | undefined;
}

/** The context a new child span belongs to: the innermost open stage of the run, if any. */
function parentContext(): Context {
  const ctx = context.active();
  const top = stackOf(ctx)?.spans.at(-1);
  return top ? trace.setSpan(ctx, top) : ctx;
}

export interface Stage {
  setAttributes(attrs: Record<string, string | number | boolean>): void;
  end(): void;
}

/** Open a stage span (`dativo.<name>`) as a child of the current stage or run. */
export function startStage(name: string, attrs: Record<string, string | number | boolean> = {}): Stage {
  const span = tracer().startSpan(`dativo.${name}`, { attributes: attrs }, parentContext());
  const stack = stackOf();
  stack?.spans.push(span);
  let ended = false;
  return {
    setAttributes: (a) => span.setAttributes(a),
    end() {
      if (ended) return;
      ended = true;
      if (stack) stack.spans.splice(stack.spans.lastIndexOf(span), 1);
      span.end();
    },
  };
}

/** A synchronous step as a stage (validation of one batch). */
export function traceStep<T>(name: string, fn: () => T, attrs?: Record<string, string | number>): T {
  const stage = startStage(name, attrs);
  try {
    return fn();
  } finally {
    stage.end();
  }
}

/**
 * The span of one run around the whole pipeline. Stages still open when the run ends (it threw
 * or returned early) are ended here, marked as errors when the run failed.
 */
export async function traceRun(job: ResolvedJob, run: () => Promise<RunReport>): Promise<RunReport> {
  return tracer().startActiveSpan(
    'dativo.run',
    {
      attributes: {
        'dativo.tenant': job.tenantId,
        'dativo.job': job.name,
        'dativo.source.type': job.source.type,
        'dativo.target.type': job.target.type,
      },
    },
    async (span) => {
      const stack: StageStack = { spans: [] };
      const ctx = context.active().setValue(STAGES, stack);
      let report: RunReport | undefined;
      try {
        report = await context.with(ctx, run);
        span.setAttributes({
          'dativo.run_id': report.runId,
          'dativo.status': report.status,
          'dativo.exit_code': report.exitCode,
          'dativo.rows.read': report.rows.read,
          'dativo.rows.written': report.rows.written,
          'dativo.rows.invalid': report.rows.invalid,
          'dativo.bytes.written': report.bytes.written,
          'dativo.files': report.files.length,
        });
        const first = report.errors[0];
        if (first) span.setAttribute('dativo.error.code', first.code);
        if (report.exitCode === 2) {
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: first ? `[${first.code}] ${first.message}` : report.status,
          });
        }
        return report;
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
        throw err;
      } finally {
        const failed = !report || report.exitCode === 2;
        for (const s of stack.spans.reverse()) {
          if (failed) s.setStatus({ code: SpanStatusCode.ERROR });
          s.end();
        }
        stack.spans.length = 0;
        span.end();
      }
    },
  );
}

// --- plugin calls -------------------------------------------------------------------------------

/**
 * Tracing and metrics of plugin calls, as the hooks object the plugin runtime accepts
 * (plugins/extism/instance.ts PluginCallHooks): a span per call, and the call's stats (time in the
 * sandbox thread, memory high-water) into the metrics. The connector rows pass it when they open a
 * plugin; nothing is patched.
 */
export const pluginCallHooks = {
  async around<T>(
    call: {
      plugin: string;
      fn: string;
      stats: () => { callMs: number; kernelPeakBytes: number } | undefined;
    },
    run: () => Promise<T>,
  ): Promise<T> {
    const { plugin, fn } = call;
    const before = call.stats();
    const span = tracer().startSpan(
      'dativo.plugin.call',
      { attributes: { 'dativo.plugin': plugin, 'dativo.plugin.call': fn } },
      parentContext(),
    );
    const t0 = performance.now();
    let ok = false;
    try {
      const out = await run();
      ok = true;
      return out;
    } catch (err) {
      const e = err as Error & { code?: string };
      span.recordException(e);
      span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
      if (e.code) span.setAttribute('dativo.error.code', e.code);
      throw err;
    } finally {
      // A call that timed out leaves the stats as they were: fall back to the wall time seen here.
      const after = call.stats();
      const stats = after !== before ? after : undefined;
      const callMs = stats?.callMs ?? performance.now() - t0;
      span.setAttribute('dativo.plugin.call_ms', callMs);
      if (stats) span.setAttribute('dativo.plugin.memory_peak_bytes', stats.kernelPeakBytes);
      span.end();
      recordPluginCall({
        plugin,
        call: fn,
        ok,
        callMs,
        ...(stats ? { peakBytes: stats.kernelPeakBytes } : {}),
      });
    }
  },
};
