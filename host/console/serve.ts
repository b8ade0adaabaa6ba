/** Serving the console on its own port: `dativo console`, and `dativo start --console-port`. */
import { readFile } from 'node:fs/promises';
import { listen, type RunningServer } from '../api/server.js';
import { DativoError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Scheduler } from '../orchestrator/scheduler.js';
import type { HistoryStore } from '../store/types.js';
import { createConsoleApp } from './app.js';

/** The operator token from `--token-file`: its first line, which must not be empty. */
export async function readTokenFile(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new DativoError(
      'CONFIG_NOT_FOUND',
      `cannot read the console token file ${file}: ${err.code ?? err.message}`,
    );
  });
  const token = text.split('\n')[0]!.trim();
  if (!token) throw new DativoError('CONFIG_INVALID', `the console token file ${file} is empty`);
  return token;
}

export async function serveConsole(opts: {
  store: HistoryStore;
  logger: Logger;
  host: string;
  port: number;
  tokenFile?: string;
  scheduler?: Pick<Scheduler, 'schedules' | 'trigger'>;
}): Promise<RunningServer> {
  const token = opts.tokenFile ? await readTokenFile(opts.tokenFile) : undefined;
  const app = createConsoleApp({
    store: opts.store,
    logger: opts.logger,
    ...(token ? { token } : {}),
    ...(opts.scheduler ? { scheduler: opts.scheduler } : {}),
  });
  const server = await listen(app, opts.host, opts.port);
  opts.logger.info({ event_type: 'console_listening', url: server.url }, `console on ${server.url}`);
  return server;
}
