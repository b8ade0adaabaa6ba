import { Command } from 'commander';
import { openSource, resolveJob } from '../../connectors/index.js';
import { discoverConnector } from '../discover-connector.js';
import { loadJobForCli } from '../load.js';
import { type CommonOptions, requireOneOf, withJobOptions } from '../options.js';
import { printError, printJson, printLine } from '../output.js';

/** `file  sales_orders` and, when the source knows them, one `  column  type` line per column. */
function describeObject(o: { name: string; type: string; columns?: unknown }): string {
  const cols = Array.isArray(o.columns) ? (o.columns as { name: string; type?: string }[]) : [];
  const width = Math.max(0, ...cols.map((c) => c.name.length));
  const lines = cols.map((c) => `  ${c.name.padEnd(width)}  ${c.type ?? '?'}`);
  return [`${o.type}\t${o.name}${cols.length ? ` (${cols.length} columns)` : ''}`, ...lines].join('\n');
}

export function discoverCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('discover')
    .description("List the objects (files, streams, tables) a job's source offers")
    .addHelpText('after', '\nExample:\n  $ dativo discover --config examples/quickstart/job.yaml --json');
  withJobOptions(cmd, { jobDir: false })
    .option(
      '--connector <nameOrFile>',
      'a connector type (or plugin file): list what it offers, without a job',
    )
    .action(async (opts: CommonOptions & { connector?: string }) => {
      if (opts.connector && !opts.config) {
        try {
          const result = await discoverConnector(opts.connector);
          if (opts.json) printJson(result);
          else for (const o of result.objects) printLine(describeObject(o));
          setExit(0);
        } catch (err) {
          printError(err, opts.verbose ?? false);
          setExit(2);
        }
        return;
      }
      requireOneOf(opts, false);
      try {
        const job = await loadJobForCli(opts.config!, opts);
        resolveJob(job);
        const result = await (await openSource(job, 1024)).discover();
        if (opts.json) printJson({ ...result, count: result.objects.length });
        else for (const o of result.objects) printLine(describeObject(o));
        setExit(0);
      } catch (err) {
        printError(err, opts.verbose ?? false);
        setExit(2);
      }
    });
  return cmd;
}
