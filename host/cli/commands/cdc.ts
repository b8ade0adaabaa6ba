/**
 * `dativo cdc drop --config JOB`: removes the job's replication slot and publication (a slot
 * nobody consumes keeps WAL on the server until its disk fills). Under the job's lock, so it never
 * pulls the slot from under a running capture. The Iceberg table is left as it is.
 */
import { Command } from 'commander';
import { DativoError } from '../../errors.js';
import { acquireLock } from '../../state/index.js';
import { loadJobForCli } from '../load.js';
import { type CommonOptions, withJobOptions } from '../options.js';
import { printError, printJson, printLine } from '../output.js';

async function drop(opts: CommonOptions): Promise<number> {
  const job = await loadJobForCli(opts.config as string, opts);
  if (job.source.type !== 'postgres_cdc') {
    throw new DativoError(
      'CONFIG_INVALID',
      `job ${job.name} is not a CDC job (source type ${job.source.type})`,
      {
        location: job.locate('source_connector_path'),
      },
    );
  }
  const [{ connectCdc }, { cdcNames, dropCdcObjects }] = await Promise.all([
    import('../../sources/postgres-cdc/run.js'),
    import('../../sources/postgres-cdc/slot.js'),
  ]);
  const names = cdcNames(job.tenantId, job.name);
  const lock = await acquireLock(job.statePath);
  try {
    const c = await connectCdc(job);
    try {
      const gone = await dropCdcObjects(c, names);
      if (opts.json) printJson({ job: job.name, ...names, dropped: gone });
      else {
        printLine(`slot ${names.slot}: ${gone.slot ? 'dropped' : 'did not exist'}`);
        printLine(`publication ${names.publication}: ${gone.publication ? 'dropped' : 'did not exist'}`);
      }
      return 0;
    } finally {
      await c.end().catch(() => {});
    }
  } finally {
    await lock.release();
  }
}

export function cdcCommand(setExit: (code: number) => void): Command {
  const cdc = new Command('cdc').description("Change data capture: manage a CDC job's replication objects");
  const cmd = withJobOptions(
    new Command('drop').description("Drop the job's replication slot and publication"),
    { jobDir: false },
  );
  cdc.addCommand(
    cmd.action(async (opts: CommonOptions) => {
      if (!opts.config) {
        printLine('error: --config is required');
        return setExit(2);
      }
      try {
        setExit(await drop(opts));
      } catch (err) {
        printError(err, opts.verbose ?? false);
        setExit(2);
      }
    }),
  );
  return cdc;
}
