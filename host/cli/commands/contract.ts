/** `dativo contract init --from data.csv`: the first step for a user's own CSV. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { contractFromCsv } from '../../contract/init.js';
import { DativoError } from '../../errors.js';
import { inferCsvColumns } from '../../sources/csv/infer.js';
import { printError, printLine } from '../output.js';

interface InitOptions {
  from: string;
  name?: string;
  out?: string;
  force?: boolean;
  verbose?: boolean;
}

async function init(opts: InitOptions): Promise<number> {
  const columns = await inferCsvColumns(opts.from).catch((err) => {
    throw err instanceof DativoError
      ? err
      : new DativoError('SOURCE_NOT_FOUND', `cannot read ${opts.from}: ${(err as Error).message}`);
  });
  const text = contractFromCsv(opts.from, columns, opts.name ? { name: opts.name } : {});
  if (!opts.out) {
    process.stdout.write(text);
    return 0;
  }
  try {
    await writeFile(opts.out, text, { flag: opts.force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    printLine(`error: ${opts.out} exists; add --force to replace it`);
    return 2;
  }
  printLine(`wrote ${opts.out}; next: name it in a job as asset_path: ${path.normalize(opts.out)}`);
  return 0;
}

export function contractCommand(setExit: (code: number) => void): Command {
  const contract = new Command('contract').description('Data contracts (ODCS v3.0.2)');
  contract.addCommand(
    new Command('init')
      .description('write a starting ODCS v3.0.2 contract from a CSV file (types inferred from a sample)')
      .requiredOption('--from <file>', 'a CSV file with a header row')
      .option('--name <name>', 'contract and object name (default: the file name)')
      .option('-o, --out <file>', 'write here instead of stdout')
      .option('--force', 'replace --out if it exists')
      .option('--verbose', 'stack traces on errors')
      .addHelpText(
        'after',
        '\nExample:\n  $ dativo contract init --from data/orders.csv --out contracts/orders.yaml',
      )
      .action(async (opts: InitOptions) => {
        try {
          setExit(await init(opts));
        } catch (err) {
          printError(err, opts.verbose ?? false);
          setExit(2);
        }
      }),
  );
  return contract;
}
