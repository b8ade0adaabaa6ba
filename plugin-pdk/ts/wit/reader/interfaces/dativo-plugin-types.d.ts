declare module 'dativo:plugin/types@1.1.0' {
  /**
   * Every fallible call returns result<T, error>: a plugin reports failure, it does not trap.
   */
  export interface Error {
    /**
     * Stable, upper-snake code, e.g. AUTHENTICATION_FAILED, RATE_LIMITED, BAD_INPUT.
     */
    code: string,
    /**
     * A sentence a user can act on. Never contains a secret value.
     */
    message: string,
    /**
     * Whether running the call again may succeed.
     */
    retryable: boolean,
  }
  /**
   * One Arrow IPC stream: schema message, exactly one record batch, end-of-stream marker.
   * No dictionary batches, no buffer compression. The host validates this on every crossing.
   */
  export type ArrowBatch = Uint8Array;
  /**
   * Per-run parameters handed to `open` (the plugin's own configuration comes from `host.config`).
   */
  export interface OpenParams {
    /**
     * Rows per batch the pipeline would like (a hint).
     */
    batchSize: number,
    /**
     * The stream (object/table) to read or write, when the job names one.
     */
    stream?: string,
  }
  export interface CheckResult {
    status: string,
    message: string,
  }
}
