/**
 * `dativo worker`: take queued runs from Redis and run them until SIGTERM. The first SIGTERM/SIGINT
 * stops taking runs and lets the running ones finish; a second one interrupts them (nothing
 * partial is committed) and puts them back in the queue for another worker.
 */
import { Command, Option } from 'commander';
import { createLogger } from '../../observability/logger.js';
import { enableProcessMetrics } from '../../observability/metrics.js';
import { startTracing } from '../../observability/tracing.js';
import type { MetricsServer } from '../../orchestrator/worker-http.js';
import { type SecretFlags, storeOption, UsageError, withSecretOptions } from '../options.js';
import { printLine } from '../output.js';

interface WorkerFlags extends SecretFlags {
  redis?: string;
  concurrency: string;
  tenantConcurrency?: string;
  queue?: string;
  prefix?: string;
  name?: string;
  lockDuration: string;
  metricsPort?: string;
  metricsHost: string;
  otlpEndpoint?: string;
  stateDir?: string;
  store?: string;
  verbose?: boolean;
}

function positiveInt(flag: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} must be an integer ≥ ${min}, got "${text}"`);
  return n;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function workerCommand(setExit: (code: number) => void): Command {
  return (
    withSecretOptions(new Command('worker'))
      .description('Take queued runs from Redis (BullMQ) and run them; start as many as you like, anywhere')
      .addOption(
        new Option('--redis <url>', 'Redis URL, e.g. redis://host:6379 (the queue `start` writes to)').env(
          'DATIVO_REDIS_URL',
        ),
      )
      .option('--concurrency <n>', 'runs at once in this worker', '1')
      .option('--tenant-concurrency <list>', 'per-tenant limit in this worker: TENANT=N,...; * for the rest')
      .option('--queue <name>', 'queue name (default dativo-runs)')
      .option('--prefix <prefix>', 'Redis key prefix (default dativo)')
      .option('--name <name>', 'worker name shown on the runs it takes (default host:pid)')
      .option(
        '--lock-duration <ms>',
        'how long a dead worker holds its runs before another takes them over',
        '30000',
      )
      .addOption(
        new Option(
          '--metrics-port <port>',
          'serve /metrics and /healthz on this port (0: any free port)',
        ).env('DATIVO_METRICS_PORT'),
      )
      // The metrics carry no token, so they stay on loopback unless told otherwise (the container
      // image sets DATIVO_METRICS_HOST=0.0.0.0 for its scraper).
      .addOption(
        new Option('--metrics-host <host>', 'address the metrics listener binds')
          .env('DATIVO_METRICS_HOST')
          .default('127.0.0.1'),
      )
      .option(
        '--otlp-endpoint <url>',
        'export traces over OTLP/HTTP (default: $OTEL_EXPORTER_OTLP_ENDPOINT; off)',
      )
      .addOption(new Option('--state-dir <dir>', 'root folder of incremental state files').env('STATE_DIR'))
      .addOption(storeOption())
      .option('--verbose', 'debug logs')
      .addHelpText(
        'after',
        '\nExample:\n  $ dativo worker --redis redis://queue:6379 --concurrency 4 --tenant-concurrency acme=2,*=1 --metrics-port 9464',
      )
      .action(async (flags: WorkerFlags) => {
        if (!flags.redis) throw new UsageError('--redis (or $DATIVO_REDIS_URL) is required');
        // Loaded here, not at the top: BullMQ and ioredis would slow every other command's start.
        const [{ parseTenantConcurrency, startWorker }, { startMetricsServer }] = await Promise.all([
          import('../../orchestrator/worker.js'),
          import('../../orchestrator/worker-http.js'),
        ]);
        const concurrency = positiveInt('--concurrency', flags.concurrency);
        const lockDurationMs = positiveInt('--lock-duration', flags.lockDuration, 1000);
        let tenantConcurrency: Record<string, number> | undefined;
        try {
          if (flags.tenantConcurrency) tenantConcurrency = parseTenantConcurrency(flags.tenantConcurrency);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        const logger = createLogger({ level: flags.verbose ? 'debug' : undefined });
        const tracing = await startTracing(flags.otlpEndpoint ? { endpoint: flags.otlpEndpoint } : {});
        let metrics: MetricsServer | undefined;
        if (flags.metricsPort !== undefined) {
          enableProcessMetrics();
          metrics = await startMetricsServer(
            positiveInt('--metrics-port', flags.metricsPort, 0),
            flags.metricsHost,
          );
        }
        const { openHistory } = await import('../../store/recorder.js');
        const history = await openHistory(flags, logger);
        const worker = await startWorker({
          redis: flags.redis,
          logger,
          ...(history ? { history } : {}),
          concurrency,
          lockDurationMs,
          load: {
            mode: flags.mode,
            secretManager: flags.secretManager,
            secretsDir: flags.secretsDir,
            secretManagerConfig: flags.secretManagerConfig,
            stateDir: flags.stateDir,
          },
          ...(tenantConcurrency ? { tenantConcurrency } : {}),
          ...(flags.queue ? { queueName: flags.queue } : {}),
          ...(flags.prefix ? { prefix: flags.prefix } : {}),
          ...(flags.name ? { name: flags.name } : {}),
        });
        printLine(
          `worker ${worker.name} ready (concurrency ${concurrency})${metrics ? `; metrics on ${metrics.url}` : ''}`,
        );

        await new Promise<void>((resolve) => {
          let stopping = false;
          const onSignal = (sig: NodeJS.Signals) => {
            if (!stopping) {
              stopping = true;
              printLine(`worker ${worker.name}: ${sig}, finishing running runs (again to interrupt them)`);
              void worker.close().then(resolve, resolve);
            } else {
              printLine(`worker ${worker.name}: ${sig} again, interrupting; the runs go back to the queue`);
              void worker.close({ interrupt: true }).then(resolve, resolve);
            }
          };
          process.on('SIGTERM', onSignal);
          process.on('SIGINT', onSignal);
        });
        await metrics?.close();
        await history?.close();
        await tracing.shutdown();
        setExit(0);
      })
  );
}
