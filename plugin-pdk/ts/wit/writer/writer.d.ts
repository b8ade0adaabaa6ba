/// <reference path="./interfaces/dativo-plugin-host.d.ts" />
/// <reference path="./interfaces/dativo-plugin-types.d.ts" />
declare module 'dativo:plugin/writer@1.1.0' {
  export type Error = import('dativo:plugin/types@1.1.0').Error;
  export type ArrowBatch = import('dativo:plugin/types@1.1.0').ArrowBatch;
  export type OpenParams = import('dativo:plugin/types@1.1.0').OpenParams;
  export type * as DativoPluginHost110 from 'dativo:plugin/host@1.1.0'; // import dativo:plugin/host@1.1.0
  export type * as DativoPluginTypes110 from 'dativo:plugin/types@1.1.0'; // import dativo:plugin/types@1.1.0
  export function open(params: OpenParams): void;
  export function writeBatch(batch: ArrowBatch): void;
  /**
  * JSON summary the host records with the commit, e.g. {"rows": 3000}.
  */
  export function commit(): string;
  export function abort(reason: string): void;
  export type Result<T, E> = { tag: 'ok', val: T } | { tag: 'err', val: E };
}
