/**
 * `dativo run`: its flags and help. The run itself (the pipeline) is in run-jobs.ts, imported
 * only when a run starts, so `dativo run --help` stays quick.
 */
import { Command, Option } from 'commander';
import type { Tracing } from '../../observability/tracing.js';
import { storeOption, withJobOptions } from '../options.js';
import type { RunFlags } from './run-jobs.js';

export function runCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('run')
    .description('Run one job, or every job below a folder')
    .addHelpText(
      'after',
      '\nExamples:\n  $ dativo run --config examples/quickstart/job.yaml\n  $ dativo run --job-dir jobs/acme --json\n\nExit codes: 0 success (also "nothing new"), 1 finished with warn-mode validation errors, 2 failed.',
    );
  // Observability of one-shot runs: a Prometheus textfile written after the runs, and traces.
  let tracing: Tracing | undefined;
  cmd
    .addOption(
      new Option('--metrics-file <file>', 'write run metrics as a Prometheus textfile').env(
        'DATIVO_METRICS_FILE',
      ),
    )
    .option(
      '--otlp-endpoint <url>',
      'export traces over OTLP/HTTP (default: $OTEL_EXPORTER_OTLP_ENDPOINT; off)',
    )
    .addOption(storeOption())
    .addOption(
      new Option(
        '--openlineage <url>',
        'POST OpenLineage START/COMPLETE/FAIL run events to this endpoint (e.g. http://marquez:5000/api/v1/lineage)',
      ).env('DATIVO_OPENLINEAGE_URL'),
    )
    .option(
      '--full-refresh',
      "ignore the saved state, re-read everything and replace the job's earlier data in the target in the same commit (local and S3 targets)",
    )
    .hook('preAction', async (c) => {
      const url = c.opts().otlpEndpoint as string | undefined;
      const { startTracing } = await import('../../observability/tracing.js');
      tracing = await startTracing(url ? { endpoint: url } : {});
    })
    .hook('postAction', async (c) => {
      const file = c.opts().metricsFile as string | undefined;
      if (file) await (await import('../../observability/metrics.js')).writeMetricsFile(file);
      await tracing?.shutdown();
    });
  withJobOptions(cmd, { jobDir: true }).action(async (opts: RunFlags) => {
    await (await import('./run-jobs.js')).runJobs(opts, setExit);
  });
  return cmd;
}
