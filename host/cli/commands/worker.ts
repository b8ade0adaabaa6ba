/**
 * `dativo worker`: take queued runs from Redis and run them until SIGTERM. The first SIGTERM/SIGINT
 * stops taking runs and lets the running ones finish; a second one interrupts them (nothing
 * partial is committed) and puts them back in the queue for another worker.
 */
import { Command, Option } from 'commander';
import { storeOption, withSecretOptions } from '../options.js';
import type { WorkerFlags } from './worker-run.js';

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
        await (await import('./worker-run.js')).runWorker(flags, setExit);
      })
  );
}
