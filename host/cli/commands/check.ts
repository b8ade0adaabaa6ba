import { Command } from 'commander';
import { checkTarget, openSource, resolveJob } from '../../connectors/index.js';
import type { CheckResult } from '../../sources/source.js';
import { loadJobForCli } from '../load.js';
import { type CommonOptions, requireOneOf, withJobOptions } from '../options.js';
import { printError, printJson, printLine } from '../output.js';

export function checkCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('check')
    .description("Test the job's source and target connections")
    .addHelpText('after', '\nExample:\n  $ dativo check --config examples/quickstart/job.yaml --json');
  withJobOptions(cmd, { jobDir: false }).action(async (opts: CommonOptions) => {
    requireOneOf(opts, false);
    try {
      const job = await loadJobForCli(opts.config!, opts);
      resolveJob(job);
      const source: CheckResult = await (await openSource(job, 1024)).check();
      const target: CheckResult = await checkTarget(job);
      if (opts.json) printJson({ source, target });
      else {
        printLine(`source (${job.source.type}): ${source.status} — ${source.message}`);
        printLine(`target (${job.target.type}): ${target.status} — ${target.message}`);
      }
      setExit(source.status === 'failed' || target.status === 'failed' ? 2 : 0);
    } catch (err) {
      printError(err, opts.verbose ?? false);
      setExit(2);
    }
  });
  return cmd;
}
