/// <reference path="./interfaces/dativo-plugin-host.d.ts" />
/// <reference path="./interfaces/dativo-plugin-types.d.ts" />
declare module 'dativo:plugin/reader@1.1.0' {
  export type Error = import('dativo:plugin/types@1.1.0').Error;
  export type ArrowBatch = import('dativo:plugin/types@1.1.0').ArrowBatch;
  export type OpenParams = import('dativo:plugin/types@1.1.0').OpenParams;
  export type CheckResult = import('dativo:plugin/types@1.1.0').CheckResult;
  export type * as DativoPluginHost110 from 'dativo:plugin/host@1.1.0'; // import dativo:plugin/host@1.1.0
  export type * as DativoPluginTypes110 from 'dativo:plugin/types@1.1.0'; // import dativo:plugin/types@1.1.0
  export function open(params: OpenParams): void;
  /**
  * none = the end of the data.
  */
  export function nextBatch(): ArrowBatch | undefined;
  export function check(): CheckResult;
  /**
  * JSON: {"objects": [{"name", "type", ...}], "metadata": {...}}
  */
  export function discover(): string;
  export function close(): void;
  export type Result<T, E> = { tag: 'ok', val: T } | { tag: 'err', val: E };
}
