/**
 * Which executor `dativo start` uses. The embedded in-process executor is the default; a runner
 * config with a `queue:` section (`redis`: a redis:// URL, optional `name` and `prefix`; see
 * runner-sections.ts), or `start --redis URL`, sends every attempt to Redis through BullMQ, where
 * `dativo worker` processes on any machine take it (`--queue` and `--prefix` name the same queue).
 * Retries stay with the scheduler either way (one queued job = one attempt).
 */
import type { Logger } from '../observability/logger.js';
import type { RunExecutor } from './executor.js';
import { createInProcessExecutor, type InProcessExecutorOptions, type JobLoadOptions } from './in-process.js';
import type { RunnerConfig } from './runner-config.js';
import { queueSection } from './runner-sections.js';

export interface ExecutorDeps {
  logger: Logger;
  load: JobLoadOptions;
  /** The job lock of in-process runs (see InProcessExecutorOptions.lock). */
  lock?: InProcessExecutorOptions['lock'];
}

export async function selectExecutor(runner: RunnerConfig, deps: ExecutorDeps): Promise<RunExecutor> {
  const q = queueSection(runner);
  if (q) {
    // Loaded only when asked for: the embedded default needs no Redis client.
    const { createQueueExecutor } = await import('./queue.js');
    return createQueueExecutor({ ...q, logger: deps.logger });
  }
  return createInProcessExecutor({
    logger: deps.logger,
    load: deps.load,
    ...(deps.lock ? { lock: deps.lock } : {}),
  });
}
