/**
 * What `dativo worker` does once its flags are parsed: start a BullMQ worker (and its metrics
 * listener and tracing) and run queued jobs until stopped. Loaded only when a worker starts.
 */
import { createLogger } from '../../observability/logger.js';
import { enableProcessMetrics } from '../../observability/metrics.js';
import { startTracing } from '../../observability/tracing.js';
import type { MetricsServer } from '../../orchestrator/worker-http.js';
import { type SecretFlags, UsageError } from '../options.js';
import { printLine } from '../output.js';

type Worker = Awaited<ReturnType<typeof import('../../orchestrator/worker.js').startWorker>>;

export interface WorkerFlags extends SecretFlags {
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

/** Starts the worker, waits until it is stopped, then closes what it opened. */
export async function runWorker(flags: WorkerFlags, setExit: (code: number) => void): Promise<void> {
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

  await untilStopped(worker);
  await metrics?.close();
  await history?.close();
  await tracing.shutdown();
  setExit(0);
}

/**
 * Resolves once the worker has stopped: the first SIGTERM/SIGINT lets the running runs finish, a
 * second one interrupts them (they go back to the queue).
 */
function untilStopped(worker: Worker): Promise<void> {
  return new Promise<void>((resolve) => {
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
}
