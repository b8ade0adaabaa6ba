/**
 * A running connector, whatever isolates it (a Docker container, a bubblewrap sandbox, a plain
 * child process): the engines read its stdout and stop it the same way.
 */
export interface ConnectorExit {
  exitCode: number;
  oomKilled: boolean;
  /** True when stop() had to kill it after the grace period. */
  killed: boolean;
}

export interface ConnectorProcess {
  /** stdout bytes, read on demand. Iterate once. */
  readonly stdout: AsyncIterable<Buffer>;
  /** The last bytes of stderr, masked. */
  stderrTail(): string;
  wait(): Promise<ConnectorExit>;
  /** SIGTERM, then SIGKILL after `graceMs`. Safe to call more than once or after exit. */
  stop(graceMs: number): Promise<void>;
  /** Stops (if needed) and releases what it holds (the container, the sandbox). */
  remove(): Promise<void>;
}
