/// <reference path="./dativo-plugin-types.d.ts" />
declare module 'dativo:plugin/host@1.1.0' {
  /**
   * Granted host:port and methods only. Redirects are followed by the host and re-checked
   * against the grant. Retries, Retry-After and rate limits are applied by the host (the plugin
   * has no clock). The body is capped by the grant's response limit.
   */
  export function httpRequest(req: OutgoingRequest, body: Uint8Array | undefined): HttpResponse;
  /**
   * Granted secret names only.
   */
  export function secretGet(name: string): string;
  /**
   * Masked (secret values replaced) and rate-limited by the host.
   */
  export function log(level: Level, message: string): void;
  /**
   * Incremental state, committed by the host together with the data (nothing partial, nothing twice).
   */
  export function stateGet(key: string): string | undefined;
  export function stateSet(key: string, value: string): void;
  /**
   * The plugin's configuration from the job, as JSON (validated against the manifest's JSON Schema).
   */
  export function config(): string;
  /**
   * A writer's named output. Appends; staged by the host and published by its commit protocol.
   */
  export function outputWrite(name: string, bytes: Uint8Array): void;
  /**
   * Readers whose manifest requests `capabilities.files`: the job's `source.files` (globs
   * expanded by the host), in job order. Empty when nothing is granted.
   */
  export function inputList(): Array<InputFile>;
  /**
   * Read-only, bounded (at most 64 MiB per call) read of a granted file by logical name; an
   * empty list at the end of the file. Any other name is denied (capability file).
   */
  export function inputRead(name: string, offset: bigint, len: number): Uint8Array;
  export type Error = import('dativo:plugin/types@1.1.0').Error;
  /**
   * The request of `http-request` (a record may not share the function's name).
   */
  export interface OutgoingRequest {
    method: string,
    url: string,
    headers: Array<[string, string]>,
  }
  export interface HttpResponse {
    status: number,
    headers: Array<[string, string]>,
    body: Uint8Array,
  }
  /**
   * # Variants
   * 
   * ## `"debug"`
   * 
   * ## `"info"`
   * 
   * ## `"warn"`
   * 
   * ## `"error"`
   */
  export type Level = 'debug' | 'info' | 'warn' | 'error';
  /**
   * A granted input file: its logical name (never a host path) and size in bytes.
   */
  export interface InputFile {
    name: string,
    size: bigint,
  }
}
