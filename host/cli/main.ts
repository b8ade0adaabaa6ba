/**
 * The `dativo` CLI: thin — parse flags, call the host, print. Exit codes: 0 success (including
 * "nothing new"), 1 finished with warn-mode validation errors, 2 failed.
 */
import { Command, CommanderError } from 'commander';
import { unknownCommandMessage } from './command-path.js';
import { catalogCommand } from './commands/catalog-serve.js';
import { cdcCommand } from './commands/cdc.js';
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

/**
 * A reader that stops early (`dativo discover --help | head -1`) closes our stdout: that is the
 * reader's choice, not our failure, so the process ends quietly (exit 0) instead of with an
 * unhandled EPIPE trace.
 */
function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  endQuietlyOnClosedPipe();
  // The AWS SDK prints a notice about its releases after January 2027 needing Node 22 on every
  // S3 run. Our SDK versions are pinned, so it is noise for a user of the CLI; the SDK's own
  // switch turns it off (a user who sets the variable keeps their choice).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
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
    cdcCommand(setExit),
  ]) {
    program.addCommand(cmd.exitOverride());
  }
  const unknown = unknownCommandMessage(program, argv.slice(2));
  if (unknown) {
    process.stderr.write(`error: ${unknown}\n`);
    return 2;
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
