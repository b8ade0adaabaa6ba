/**
 * The `dativo` CLI: thin — parse flags, call the host, print. Exit codes: 0 success (including
 * "nothing new"), 1 finished with warn-mode validation errors, 2 failed.
 */
import { Command, CommanderError } from 'commander';
import { catalogCommand } from './commands/catalog-serve.js';
import { checkCommand } from './commands/check.js';
import { consoleCommand } from './commands/console.js';
import { contractCommand } from './commands/contract.js';
import { discoverCommand } from './commands/discover.js';
import { icebergCommand } from './commands/iceberg-expire.js';
import { pluginCommand } from './commands/plugin.js';
import { runCommand } from './commands/run.js';
import { runsCommand } from './commands/runs.js';
import { schemaCommand } from './commands/schema.js';
import { startCommand } from './commands/start.js';
import { stateCommand } from './commands/state.js';
import { validateCommand } from './commands/validate.js';
import { workerCommand } from './commands/worker.js';
import { UsageError } from './options.js';
import { printError } from './output.js';

/**
 * A finished run ends the process: whatever a run left behind (a plugin's abandoned request, a
 * driver's idle socket, a timer) must not keep it alive. The report and logs are on stdout and
 * stderr already; their last bytes are flushed first.
 */
function exitOnceFlushed(code: number): void {
  let open = 2;
  const done = () => {
    if (--open === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const program = new Command('dativo')
    .description('Config-driven data ingestion: source → ODCS contract → Parquet → object store / Iceberg')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError()
    .addHelpText('after', '\nExample:\n  $ dativo run --config examples/quickstart/job.yaml');
  for (const cmd of [
    runCommand(setExit),
    validateCommand(setExit),
    checkCommand(setExit),
    discoverCommand(setExit),
    contractCommand(setExit),
    startCommand(setExit),
    stateCommand(setExit),
    pluginCommand(setExit),
    workerCommand(setExit),
    runsCommand(setExit),
    consoleCommand(setExit),
    schemaCommand(setExit),
    catalogCommand(setExit),
    icebergCommand(setExit),
  ]) {
    program.addCommand(cmd.exitOverride());
  }
  try {
    await program.parseAsync(argv);
    if (program.args[0] === 'run') exitOnceFlushed(exitCode);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with exit code 0 by design.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    printError(err, argv.includes('--verbose'));
    return 2;
  }
}
