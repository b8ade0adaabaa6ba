/**
 * The `dativo` CLI: thin — parse flags, call the host, print. Exit codes: 0 success (including
 * "nothing new"), 1 finished with warn-mode validation errors, 2 failed.
 */
import { Command, CommanderError, Help } from 'commander';
import { unknownCommandMessage } from './command-path.js';
import { UsageError } from './options.js';
import { printError } from './output.js';

/**
 * The commands, as a lazy table: a name, the line `dativo --help` shows for it, and a loader. A
 * command's module (and everything it imports) is loaded only when that command runs, so
 * `dativo --version`, `--help` and `validate` do not pay for the pipeline, arrow, the AWS SDK or
 * OpenTelemetry. A new command is a new row; `tests/unit/cli/command-table.test.ts` checks each
 * row against the module it loads, so the help line cannot drift from the real command.
 */
type SetExit = (code: number) => void;

export interface CommandRow {
  name: string;
  /** The term in the top-level help, as commander prints it for the real command. */
  term: string;
  description: string;
  load: () => Promise<(setExit: SetExit) => Command>;
}

export const COMMANDS: readonly CommandRow[] = [
  {
    name: 'run',
    term: 'run [options]',
    description: 'Run one job, or every job below a folder',
    load: async () => (await import('./commands/run.js')).runCommand,
  },
  {
    name: 'validate',
    term: 'validate [options]',
    description: 'Check job files without running them: schema, registry rules, variables, paths, contract',
    load: async () => (await import('./commands/validate.js')).validateCommand,
  },
  {
    name: 'check',
    term: 'check [options]',
    description: "Test the job's source and target connections",
    load: async () => (await import('./commands/check.js')).checkCommand,
  },
  {
    name: 'discover',
    term: 'discover [options]',
    description: "List the objects (files, streams, tables) a job's source offers",
    load: async () => (await import('./commands/discover.js')).discoverCommand,
  },
  {
    name: 'contract',
    term: 'contract',
    description: 'Data contracts (ODCS v3.0.2)',
    load: async () => (await import('./commands/contract.js')).contractCommand,
  },
  {
    name: 'start',
    term: 'start [options] [mode]',
    description: 'Run the orchestrator: schedules from a runner config, an HTTP API, graceful shutdown',
    load: async () => (await import('./commands/start.js')).startCommand,
  },
  {
    name: 'state',
    term: 'state',
    description: "Show or reset a job's incremental state",
    load: async () => (await import('./commands/state.js')).stateCommand,
  },
  {
    name: 'plugin',
    term: 'plugin',
    description:
      'Write plugins (init, build, test, validate) and share them (pack, publish, install, verify)',
    load: async () => (await import('./commands/plugin.js')).pluginCommand,
  },
  {
    name: 'worker',
    term: 'worker [options]',
    description: 'Take queued runs from Redis (BullMQ) and run them; start as many as you like, anywhere',
    load: async () => (await import('./commands/worker.js')).workerCommand,
  },
  {
    name: 'runs',
    term: 'runs',
    description: 'Run history: what ran, what it loaded, what failed and why',
    load: async () => (await import('./commands/runs.js')).runsCommand,
  },
  {
    name: 'console',
    term: 'console [options]',
    description: 'Web console: runs with filters, run detail with errors and logs, jobs with rows per run',
    load: async () => (await import('./commands/console.js')).consoleCommand,
  },
  {
    name: 'schema',
    term: 'schema <kind>',
    description: 'Print the JSON Schema of a config file, for editors',
    load: async () => (await import('./commands/schema.js')).schemaCommand,
  },
  {
    name: 'catalog',
    term: 'catalog',
    description: 'Iceberg catalog tools',
    load: async () => (await import('./commands/catalog-serve.js')).catalogCommand,
  },
  {
    name: 'iceberg',
    term: 'iceberg',
    description: 'Iceberg table maintenance',
    load: async () => (await import('./commands/iceberg-expire.js')).icebergCommand,
  },
  {
    name: 'cdc',
    term: 'cdc',
    description: "Change data capture: manage a CDC job's replication objects",
    load: async () => (await import('./commands/cdc.js')).cdcCommand,
  },
];

/**
 * The names of the commands argv runs: the first command word, and for `dativo help <name>` the
 * name after it. Only these modules are loaded; the rest stay placeholders for the help listing
 * and the unknown-command check. Top-level options take no values, so the first word not starting
 * with `-` is the command word.
 */
export function commandWordsOf(args: readonly string[]): string[] {
  const words = args.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words.slice(0, 2) : words.slice(0, 1);
}

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

/**
 * The commands of the COMMANDS table: the ones argv names are loaded for real, every other is a
 * placeholder that only carries its name and help line (its module is never imported).
 */
async function addCommands(program: Command, args: readonly string[], setExit: (code: number) => void) {
  const wanted = new Set(commandWordsOf(args));
  const terms = new Map<Command, string>();
  for (const row of COMMANDS) {
    if (wanted.has(row.name)) {
      program.addCommand((await row.load())(setExit).exitOverride());
      continue;
    }
    const placeholder = new Command(row.name).description(row.description);
    terms.set(placeholder, row.term);
    program.addCommand(placeholder.exitOverride());
  }
  const help = new Help();
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd) ?? help.subcommandTerm(cmd) });
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
  await addCommands(program, argv.slice(2), setExit);
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
