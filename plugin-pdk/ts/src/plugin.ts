/**
 * A reader or writer as the WIT world wants it. The entry module of a plugin exports the
 * world's functions by name:
 *
 *   export const { open, nextBatch, check, discover, close } = reader({ ... });
 *
 * Throw `PluginError` to fail a call (the host reports it with your code); any other exception
 * traps the instance, which the host treats as a bug (and `dativo plugin test` fails).
 */
export interface OpenParams {
  /** Rows per batch the pipeline would like (a hint). */
  batchSize: number;
  /** The stream (object/table) the job names, if any. */
  stream?: string | undefined;
}

export interface CheckResult {
  status: 'success' | 'failed' | 'skipped';
  message: string;
}

export interface DiscoverResult {
  objects: { name: string; type: string; [k: string]: unknown }[];
  metadata?: Record<string, unknown>;
}

export interface Reader {
  open?(params: OpenParams): void;
  /** One Arrow IPC batch (see ipcBatch), or undefined at the end of the data. */
  nextBatch(): Uint8Array | undefined;
  check?(): CheckResult;
  discover?(): DiscoverResult;
  close?(): void;
}

export interface Writer {
  open?(params: OpenParams): void;
  writeBatch(batch: Uint8Array): void;
  /** A JSON-able summary the host records with the commit, e.g. {rows: 3000}. */
  commit(): Record<string, unknown>;
  abort?(reason: string): void;
}

export function reader(impl: Reader) {
  return {
    open: (params: OpenParams) => impl.open?.(params),
    nextBatch: () => impl.nextBatch(),
    check: (): CheckResult => impl.check?.() ?? { status: 'skipped', message: 'the plugin has no check' },
    discover: () => JSON.stringify(impl.discover?.() ?? { objects: [], metadata: {} }),
    close: () => impl.close?.(),
  };
}

export function writer(impl: Writer) {
  return {
    open: (params: OpenParams) => impl.open?.(params),
    writeBatch: (batch: Uint8Array) => impl.writeBatch(batch),
    commit: () => JSON.stringify(impl.commit()),
    abort: (reason: string) => impl.abort?.(reason),
  };
}
