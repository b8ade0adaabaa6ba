/**
 * `dativo start [orchestrated|oneshot] --runner-config FILE`: the orchestrator. `orchestrated` runs
 * the schedules until SIGTERM/SIGINT (running jobs get the grace period, then are interrupted
 * cleanly; a second signal interrupts at once). `oneshot` runs every enabled schedule's job once,
 * with the same limits and retries, and exits with the worst exit code.
 *
 * Observability: the API serves `/metrics` (behind the token) with the scheduler's counters, the
 * run counters of runs executed here, and the process metrics; traces go over OTLP when an endpoint
 * is configured (`--otlp-endpoint`, `tracing.otlp_endpoint`, or OTEL_EXPORTER_OTLP_ENDPOINT).
 */
import { Command, Option } from 'commander';
import type { Logger } from '../../observability/logger.js';
import { createLogger } from '../../observability/logger.js';
import { enableProcessMetrics } from '../../observability/metrics.js';
import { startTracing, type Tracing } from '../../observability/tracing.js';
import { loadRunnerConfig, type RunnerConfig } from '../../orchestrator/runner-config.js';
import { metricsEnabled, tracingSection } from '../../orchestrator/runner-sections.js';
import type { RunRecord } from '../../orchestrator/runs.js';
import { type SecretFlags, storeOption, UsageError, withSecretOptions } from '../options.js';
import { printError, printJson, printLine, worst } from '../output.js';

interface StartOptions extends SecretFlags {
  runnerConfig: string;
  api: boolean;
  apiHost?: string;
  apiPort?: string;
  gracePeriod?: string;
  redis?: string;
  queue?: string;
  prefix?: string;
  otlpEndpoint?: string;
  stateDir?: string;
  store?: string;
  consolePort?: string;
  consoleTokenFile?: string;
  json?: boolean;
  verbose?: boolean;
}

const EXIT_OF: Record<string, number> = { succeeded: 0, nothing_new: 0, succeeded_with_warnings: 1 };

function seconds(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0)
    throw new UsageError(`${flag} must be a number of seconds ≥ 0, got "${text}"`);
  return n;
}

function port(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--api-port must be 0..65535, got "${text}"`);
  return n;
}

/** Tracing per flag, then the runner config, then the OTEL_* environment; off when none is set. */
function tracingFor(runner: RunnerConfig, opts: StartOptions): Promise<Tracing> {
  const t = tracingSection(runner);
  if (!t.enabled && !opts.otlpEndpoint) return startTracing({ env: {} });
  const endpoint = opts.otlpEndpoint ?? t.otlpEndpoint;
  return startTracing({
    ...(endpoint ? { endpoint } : {}),
    ...(t.serviceName ? { serviceName: t.serviceName } : {}),
  });
}

async function start(runMode: string | undefined, opts: StartOptions): Promise<number> {
  const logger = createLogger({ level: opts.verbose ? 'debug' : undefined });
  const runner = await loadRunnerConfig(opts.runnerConfig);
  // --redis (or $DATIVO_REDIS_URL) sends runs to `dativo worker` processes instead of running them here;
  // --queue and --prefix name the queue as the workers' flags of the same names do.
  if (opts.redis) runner.queue = { ...runner.queue, enabled: true, redis: opts.redis };
  if (opts.queue) runner.queue = { ...runner.queue, name: opts.queue };
  if (opts.prefix) runner.queue = { ...runner.queue, prefix: opts.prefix };
  const tracing = await tracingFor(runner, opts);
  try {
    return await serve(runner, runMode, opts, logger);
  } finally {
    // Flush the spans of the last runs before the process exits.
    await tracing.shutdown();
  }
}

async function serve(
  runner: RunnerConfig,
  runMode: string | undefined,
  opts: StartOptions,
  logger: Logger,
): Promise<number> {
  const mode = runMode ?? runner.mode;
  const graceMs = (seconds(opts.gracePeriod, '--grace-period') ?? runner.shutdownGraceSeconds) * 1000;
  const oneshot = mode === 'oneshot';
  if (!oneshot && metricsEnabled(runner)) enableProcessMetrics();
  // Loaded here: the scheduler, the API server and the queue client would slow other commands' start.
  const { startOrchestrator } = await import('../../orchestrator/service.js');
  const { openHistory } = await import('../../store/recorder.js');
  const history = await openHistory(opts, logger);
  const service = await startOrchestrator({
    runner,
    logger,
    ...(history ? { history } : {}),
    load: {
      mode: opts.mode,
      secretManager: opts.secretManager,
      secretsDir: opts.secretsDir,
      secretManagerConfig: opts.secretManagerConfig,
      stateDir: opts.stateDir,
    },
    secrets: {
      secretManager: opts.secretManager,
      secretsDir: opts.secretsDir,
      secretManagerConfig: opts.secretManagerConfig,
    },
    api: {
      // A one-shot pass needs no API unless a port was asked for.
      enabled: opts.api && runner.api.enabled && (!oneshot || opts.apiPort !== undefined),
      host: opts.apiHost ?? runner.api.host,
      port: port(opts.apiPort) ?? runner.api.port,
    },
  });
  const { scheduler } = service;
  let signals = 0;
  let onSignal: (sig: NodeJS.Signals) => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    onSignal = (sig: NodeJS.Signals) => {
      signals++;
      logger.warn({ event_type: 'signal', signal: sig }, `${sig}: shutting down`);
      // The first signal grants the grace period, a second one interrupts running jobs now.
      void service.stop(signals === 1 ? graceMs : 0).then(resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    if (oneshot) void runAllOnce().then(() => service.stop(graceMs).then(resolve));
  });

  // The console beside the API, on its own port (browsers cannot send the API's bearer header).
  // Loaded only when asked for, and after the signal handlers are in place: a SIGTERM that arrives
  // while it loads must get the grace period like any other.
  const consoleServer =
    history && opts.consolePort !== undefined
      ? await (await import('../../console/serve.js')).serveConsole({
          store: history,
          logger,
          scheduler,
          host: opts.apiHost ?? runner.api.host,
          port: Number(opts.consolePort),
          ...(opts.consoleTokenFile ? { tokenFile: opts.consoleTokenFile } : {}),
        })
      : undefined;

  const triggered: RunRecord[] = [];
  async function runAllOnce(): Promise<void> {
    const finished = new Set<string>();
    let wake = () => {};
    scheduler.on((e) => {
      if (e.type !== 'run_finished') return;
      finished.add(e.run.id);
      wake();
    });
    for (const s of scheduler.schedules().filter((x) => x.enabled)) {
      const r = await scheduler.trigger(s.name);
      if (r.outcome === 'queued' || r.outcome === 'skipped') triggered.push(r.run);
    }
    const open = () => triggered.filter((r) => r.state !== 'skipped' && !finished.has(r.id)).length;
    while (open() > 0) await new Promise<void>((resolve) => (wake = resolve));
  }

  await stopped;
  await consoleServer?.close();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  if (!oneshot) return 0;
  const runs = triggered.map((r) => scheduler.run(r.id) ?? r);
  if (opts.json) printJson({ runs });
  for (const r of runs) {
    const last = r.attempts.at(-1);
    const err = last?.errors[0];
    printLine(
      `${r.schedule}: ${r.state} after ${r.attempts.length} attempt(s)` +
        `${last?.report ? `, ${last.report.rows.written} rows written` : ''}${err ? `: [${err.code}] ${err.message}` : ''}`,
    );
  }
  return worst(runs.map((r) => EXIT_OF[r.state] ?? 2));
}

export function startCommand(setExit: (code: number) => void): Command {
  const cmd = withSecretOptions(new Command('start'))
    .description('Run the orchestrator: schedules from a runner config, an HTTP API, graceful shutdown')
    .argument(
      '[mode]',
      'orchestrated (a service, until SIGTERM) or oneshot (every enabled schedule once); default: runner.mode',
    )
    .addOption(
      // Relative to the working directory; the container image sets DATIVO_RUNNER_CONFIG.
      new Option('--runner-config <file>', 'runner config (YAML)')
        .env('DATIVO_RUNNER_CONFIG')
        .default('configs/runner.yaml'),
    )
    .option('--api-host <host>', 'address the API listens on (default: api.host, 127.0.0.1)')
    .option('--api-port <port>', 'API port, 0 for any free one (default: api.port, 8080)')
    .option('--no-api', 'do not serve the HTTP API')
    .addOption(
      new Option(
        '--redis <url>',
        'queue runs in Redis for `dativo worker` processes (default: queue.redis; none: run in-process)',
      ).env('DATIVO_REDIS_URL'),
    )
    .option(
      '--queue <name>',
      'with a queue: its name, as `dativo worker --queue` (default: queue.name, dativo-runs)',
    )
    .option(
      '--prefix <prefix>',
      'with a queue: the Redis key prefix, as `dativo worker --prefix` (default dativo)',
    )
    .option(
      '--otlp-endpoint <url>',
      'export traces over OTLP/HTTP (default: tracing.otlp_endpoint, $OTEL_EXPORTER_OTLP_ENDPOINT; off)',
    )
    .option('--grace-period <seconds>', 'on SIGTERM, how long running jobs may take to finish (default: 30)')
    .addOption(new Option('--state-dir <dir>', 'root folder of incremental state files').env('STATE_DIR'))
    .addOption(storeOption())
    .option('--console-port <port>', 'serve the web console on this port (0: any free one)')
    .option('--console-token-file <file>', 'console operator token: enables its retry/trigger buttons')
    .option('--json', 'oneshot: print the run records as JSON on stdout')
    .option('--verbose', 'debug logs and stack traces')
    .addHelpText(
      'after',
      '\nExamples:\n  $ dativo start orchestrated --runner-config configs/runner.yaml\n  $ dativo start oneshot --runner-config configs/runner.yaml --no-api\n\n' +
        'The API token is the secret named by api.token_secret (default orchestrator_api_token) in scope\n' +
        'api.secret_scope (default orchestrator), e.g. DATIVO_SECRET__ORCHESTRATOR__ORCHESTRATOR_API_TOKEN.\n' +
        'GET /metrics on the API serves Prometheus metrics with the same token (metrics.enabled: false turns it off).',
    );
  cmd.action(async (runMode: string | undefined, opts: StartOptions) => {
    if (runMode !== undefined && runMode !== 'orchestrated' && runMode !== 'oneshot') {
      throw new UsageError(`unknown mode "${runMode}" (orchestrated or oneshot)`);
    }
    try {
      setExit(await start(runMode, opts));
    } catch (err) {
      printError(err, opts.verbose ?? false);
      setExit(2);
    }
  });
  return cmd;
}
