/**
 * `dativo catalog serve`: the Iceberg REST catalog over a warehouse (a directory or
 * s3://bucket/prefix), so Spark, Trino, DuckDB, pyiceberg and `dativo run` share one catalog
 * without a JVM. Prints the URL on stdout (scripts read it) and stops cleanly on SIGTERM/SIGINT.
 *
 * S3 settings come from the environment (S3_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY); the bearer token from --token-file or DATIVO_CATALOG_TOKEN, never from
 * the command line, where `ps` shows it.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { UsageError } from '../options.js';
import { printLine } from '../output.js';

interface ServeFlags {
  warehouse: string;
  port: string;
  host: string;
  tokenFile?: string;
}

export function catalogCommand(setExit: (code: number) => void): Command {
  const catalog = new Command('catalog').description('Iceberg catalog tools');
  catalog.addCommand(
    new Command('serve')
      .description('Serve an Iceberg REST catalog over a warehouse directory or s3://bucket/prefix')
      .requiredOption('--warehouse <dir|s3://bucket/prefix>', 'where the tables live')
      .option('--port <n>', 'port to listen on (0: any free port)', '8181')
      .option('--host <address>', 'address to bind', '127.0.0.1')
      .option('--token-file <file>', 'require this bearer token (file content) on every request')
      .addHelpText(
        'after',
        '\nExample:\n  $ S3_ENDPOINT=http://127.0.0.1:7480 dativo catalog serve --warehouse s3://lake/wh --port 8181',
      )
      .action(async (flags: ServeFlags) => {
        const port = Number(flags.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new UsageError(`--port must be an integer 0-65535, got "${flags.port}"`);
        const token = await readToken(flags.tokenFile);
        const { serveWarehouse } = await import('../../iceberg/rest/serve.js');
        const env = process.env;
        const running = await serveWarehouse({
          warehouse: flags.warehouse,
          port,
          host: flags.host,
          ...(token ? { token } : {}),
          ...(env.DATIVO_CATALOG_CREDENTIAL ? { credential: env.DATIVO_CATALOG_CREDENTIAL } : {}),
          s3: {
            ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
            ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
            ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
              ? {
                  credentials: {
                    accessKeyId: env.AWS_ACCESS_KEY_ID,
                    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
                  },
                }
              : {}),
          },
        });
        process.stdout.write(`${running.url}\n`);
        printLine(`Iceberg REST catalog at ${running.url} (warehouse ${running.warehouse})`);
        await new Promise<void>((resolve) => {
          const stop = () => void running.close().then(resolve, resolve);
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
        printLine('catalog server stopped');
        setExit(0);
      }),
  );
  return catalog;
}

async function readToken(file: string | undefined): Promise<string | undefined> {
  if (!file) return process.env.DATIVO_CATALOG_TOKEN || undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--token-file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  const token = text.trim();
  if (!token) throw new UsageError(`--token-file ${file} is empty`);
  return token;
}
