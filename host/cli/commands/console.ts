/** `dativo console`: the web console over the run history store, until SIGTERM/SIGINT. */
import { Command } from 'commander';
import { createLogger } from '../../observability/logger.js';
import { storeOption, UsageError } from '../options.js';
import { printLine } from '../output.js';

interface ConsoleFlags {
  port: string;
  host: string;
  store?: string;
  stateDir?: string;
  tokenFile?: string;
  verbose?: boolean;
}

export function consoleCommand(setExit: (code: number) => void): Command {
  return new Command('console')
    .description('Web console: runs with filters, run detail with errors and logs, jobs with rows per run')
    .option('--port <port>', 'port, 0 for any free one', '8090')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addOption(storeOption())
    .option('--state-dir <dir>', 'state dir whose dativo.db is the store (default $STATE_DIR, .local/state)')
    .option(
      '--token-file <file>',
      'operator token: enables the retry/trigger buttons (POST with token + CSRF)',
    )
    .option('--verbose', 'debug logs')
    .addHelpText('after', '\nExample:\n  $ dativo console --store postgres://dativo@db/dativo --port 8090')
    .action(async (flags: ConsoleFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port must be 0..65535, got "${flags.port}"`);
      const logger = createLogger({ level: flags.verbose ? 'debug' : undefined });
      const [{ openStore }, { serveConsole }] = await Promise.all([
        import('../../store/index.js'),
        import('../../console/serve.js'),
      ]);
      const store = await openStore(flags);
      const server = await serveConsole({
        store,
        logger,
        host: flags.host,
        port,
        ...(flags.tokenFile ? { tokenFile: flags.tokenFile } : {}),
      }).catch(async (err) => {
        await store.close();
        throw err;
      });
      printLine(`console on ${server.url} (store ${store.where})`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', () => resolve());
        process.once('SIGINT', () => resolve());
      });
      await server.close();
      await store.close();
      setExit(0);
    });
}
