/**
 * `dativo iceberg expire`: snapshot expiry for the Iceberg table a job writes. Hourly appends
 * pile up snapshots; this removes those older than --older-than (keeping the newest
 * --retain-last and every branch/tag head) and deletes the files no kept snapshot references.
 */
import { Command } from 'commander';
import { DativoError } from '../../errors.js';
import { loadJobForCli } from '../load.js';
import { type CommonOptions, UsageError, withJobOptions } from '../options.js';
import { printJson, printLine } from '../output.js';
import { compactCommand } from './iceberg-compact.js';

interface ExpireFlags extends CommonOptions {
  olderThan: string;
  retainLast: string;
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `12h`, `7d`, `2w` → milliseconds. */
export function parseAge(text: string): number {
  const m = /^(\d+)\s*([mhdw])$/.exec(text.trim());
  if (!m) throw new UsageError(`--older-than must be a number with m, h, d or w (e.g. 7d), got "${text}"`);
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}

export function icebergCommand(setExit: (code: number) => void): Command {
  const iceberg = new Command('iceberg').description('Iceberg table maintenance');
  const expire = new Command('expire')
    .description("Expire old snapshots of a job's Iceberg table and delete the files only they reference")
    .requiredOption('--older-than <age>', 'expire snapshots older than this (30m, 12h, 7d, 2w)')
    .option('--retain-last <n>', 'always keep the newest N snapshots of main', '1')
    .addHelpText(
      'after',
      '\nExample:\n  $ dativo iceberg expire --config jobs/orders.yaml --older-than 7d --retain-last 24',
    );
  withJobOptions(expire, { jobDir: false }).action(async (flags: ExpireFlags) => {
    if (!flags.config) throw new UsageError('--config is required');
    const age = parseAge(flags.olderThan);
    const retainLast = Number(flags.retainLast);
    if (!Number.isInteger(retainLast) || retainLast < 1)
      throw new UsageError(`--retain-last must be an integer ≥ 1, got "${flags.retainLast}"`);
    const job = await loadJobForCli(flags.config, flags, false);
    const [{ openTargetTable }, { expireSnapshots }] = await Promise.all([
      import('../../connectors/index.js'),
      import('../../iceberg/expire.js'),
    ]);
    const target = await openTargetTable(job);
    try {
      const table = await target.catalog.loadTable(target.ident);
      const name = [...target.ident.namespace, target.ident.name].join('.');
      if (!table) throw new DativoError('CONFIG_INVALID', `Iceberg table ${name} does not exist`);
      const result = await expireSnapshots({
        catalog: target.catalog,
        ident: target.ident,
        io: target.ioFor(table.metadata.location).io,
        olderThanMs: Date.now() - age,
        retainLast,
      });
      if (flags.json)
        printJson({
          table: name,
          removedSnapshots: result.removedSnapshots.map(String),
          deletedFiles: result.deletedFiles,
        });
      else
        printLine(
          `${name}: expired ${result.removedSnapshots.length} snapshot(s), deleted ${result.deletedFiles} file(s)`,
        );
      setExit(0);
    } finally {
      target.close();
    }
  });
  iceberg.addCommand(expire);
  iceberg.addCommand(compactCommand(setExit));
  return iceberg;
}
