/**
 * The plugin ABI versions this host runs, in one table: which are supported, which are deprecated
 * (they still load, with a warning that links their migration note in docs/), and by elimination
 * which are refused (older ones dropped from the table, and any newer than the host).
 *
 * The ABI version is the WIT package's major.minor (`wit/dativo-plugin.wit`). 1.1 is the WIT package
 * `dativo:plugin@1.1.0` that component toolchains accept; for Extism modules nothing changes on the
 * wire, so a 1.0 module keeps working. `plugin install` checks this table before it downloads a
 * module, and the loader checks it before it reads one.
 */
import { DativoError } from '../errors.js';

export interface AbiVersion {
  version: string;
  status: 'supported' | 'deprecated';
  /** For deprecated versions: the docs/ page (and anchor) that says how to move on. */
  migration?: string;
}

export const ABI_VERSIONS: readonly AbiVersion[] = [
  { version: '1.0', status: 'supported' },
  { version: '1.1', status: 'supported' },
];

export interface AbiVerdict {
  entry: AbiVersion;
  /** Set for a deprecated version: one line for the user, naming the migration note. */
  warning?: string;
}

function parse(v: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function compare(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** The newest ABI the host speaks (the table's highest version). */
export function newestAbi(table: readonly AbiVersion[] = ABI_VERSIONS): string {
  const sorted = [...table].sort((x, y) => compare(parse(y.version) ?? [0, 0], parse(x.version) ?? [0, 0]));
  return sorted[0]?.version ?? '0.0';
}

/**
 * Whether a plugin's ABI may run here. Throws PLUGIN_VERSION_INCOMPATIBLE naming both versions
 * for one the host does not run; returns a warning for a deprecated one.
 */
export function checkAbiSupport(
  pluginAbi: string,
  plugin: string,
  table: readonly AbiVersion[] = ABI_VERSIONS,
): AbiVerdict {
  const wanted = parse(pluginAbi);
  const hostAbi = newestAbi(table);
  const entry = wanted && table.find((e) => compare(parse(e.version) ?? [0, 0], wanted) === 0);
  if (!wanted || !entry) {
    const supported = table.map((e) => e.version).join(', ');
    const newer = wanted !== undefined && compare(wanted, parse(hostAbi) ?? [0, 0]) > 0;
    const why = !wanted
      ? `"${pluginAbi}" is not an ABI version (major.minor)`
      : newer
        ? `ABI ${pluginAbi} is newer than this host's ABI ${hostAbi}: upgrade Dativo`
        : `ABI ${pluginAbi} is no longer supported by this host (ABI ${hostAbi}): rebuild the plugin against the current PDK`;
    throw new DativoError(
      'PLUGIN_VERSION_INCOMPATIBLE',
      `plugin ${plugin}: ${why} (this host runs ABI ${supported})`,
      {
        location: { plugin },
        details: { pluginAbi, hostAbi, supported: table.map((e) => e.version) },
      },
    );
  }
  if (entry.status === 'deprecated') {
    return {
      entry,
      warning: `plugin ${plugin} uses ABI ${entry.version}, which is deprecated (this host's ABI is ${hostAbi}); see ${entry.migration ?? 'docs/plugin-abi.md'}`,
    };
  }
  return { entry };
}
