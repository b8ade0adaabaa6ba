/**
 * What this build refuses, in one place: connectors that registry/connectors.yaml lists but no
 * adapter serves yet, and plugin kinds that cannot run (native code).
 */
import path from 'node:path';
import { DativoError, type Location } from '../errors.js';
import type { Refusal } from './adapter.js';

const notYet = 'no adapter in this version of Dativo';

/** Every (connector, role) of registry/connectors.yaml without an adapter row. */
export const REFUSALS: readonly Refusal[] = [
  ...['gdrive_csv', 'google_sheets', 's3', 'minio', 'azure_blob'].map((name) => ({
    name,
    kind: 'source' as const,
    reason: notYet,
  })),
  ...['csv', 'markdown_kv', 'google_sheets', 'postgres', 'mysql', 'azure_blob'].map((name) => ({
    name,
    kind: 'sink' as const,
    reason: notYet,
  })),
];

/**
 * Plugins this build refuses before anything else is loaded: native code (it cannot be sandboxed).
 * Undefined for a plugin the host may run (Python files run in host/plugins/python).
 */
export function refusedPlugin(ref: string, location: Location): DativoError | undefined {
  const file = ref.split(':')[0] ?? ref;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.so' || ext === '.dylib' || ext === '.dll') {
    return new DativoError(
      'PLUGIN_DENIED',
      `native plugin ${file} refused: native code cannot be sandboxed. Compile the plugin to WebAssembly ` +
        'and point the job at the .wasm file or plugin directory',
      { location },
    );
  }
  return undefined;
}
