/**
 * Which world a component implements, read from what it imports and exports (the names jco's
 * transpile reports), before it runs: the `dativo:plugin/host` version must be one this host
 * speaks and agree with the manifest's `abi`; every other import must be one of the WASI
 * interfaces the host provides (clocks, random, stderr); the exports must be the role's world.
 */
import { DativoError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { PluginManifest } from '../manifest.js';
import { HOST_ABI } from '../manifest.js';
import { abiCompatible, auditDenial, deny } from '../policy.js';
import { WASI_INTERFACES } from './wasi.js';

export const HOST_INTERFACE = 'dativo:plugin/host';
const TYPES_INTERFACE = 'dativo:plugin/types';

/** Each world's exported functions (WIT names); the Extism flattening spells them with `_`. */
export const WORLD_EXPORTS = {
  reader: ['open', 'next-batch', 'check', 'discover', 'close'],
  writer: ['open', 'write-batch', 'commit', 'abort'],
} as const;
const REQUIRED = { reader: ['next-batch'], writer: ['write-batch', 'commit'] } as const;

export interface ComponentShape {
  /** e.g. `dativo:plugin/host@1.1.0`, `wasi:clocks/wall-clock@0.2.12`, or `name: func(...)` */
  imports: string[];
  /** e.g. `next-batch`, or an interface name for an exported instance */
  exports: string[];
}

/** What a component's world (as `wasm-tools component wit` prints it) imports and exports. */
export function parseWorldShape(wit: string): ComponentShape {
  const body = /\bworld\s+[\w-]+\s*\{([\s\S]*?)\n\}/.exec(wit)?.[1] ?? '';
  const shape: ComponentShape = { imports: [], exports: [] };
  for (const line of body.split('\n')) {
    // Every import/export line counts, inline `name: interface {` ones too (refused as unknown).
    const m = /^\s*(import|export)\s+(.+?)\s*[;{]?\s*$/.exec(line);
    if (!m) continue;
    const name = (m[2] as string).replace(/^%/, '');
    const fn = /^([\w%-]+)\s*:\s*func\b/.exec(name);
    if (m[1] === 'import') shape.imports.push(name);
    else shape.exports.push(fn ? (fn[1] as string).replace(/^%/, '') : name);
  }
  return shape;
}

export interface ComponentWorld {
  /** major.minor of dativo:plugin it was built against (undefined: imports no host function). */
  abi: string | undefined;
  /** Extism-style export names (`next_batch`), as the shared Source/Sink call them. */
  exports: string[];
}

function splitVersion(name: string): [iface: string, version: string | undefined] {
  const at = name.lastIndexOf('@');
  return at < 0 ? [name, undefined] : [name.slice(0, at), name.slice(at + 1)];
}

function checkVersion(manifest: PluginManifest, version: string | undefined, logger?: Logger): string {
  const plugin = manifest.name;
  const abi = version?.split('.').slice(0, 2).join('.') ?? manifest.abi;
  if (abi !== manifest.abi || !abiCompatible(abi)) {
    auditDenial(logger, { plugin, capability: 'abi', resource: abi, message: 'ABI mismatch' });
    throw new DativoError(
      'PLUGIN_VERSION_INCOMPATIBLE',
      `plugin ${plugin}: component imports ${HOST_INTERFACE}@${version} (manifest says abi ${manifest.abi}); this host speaks ${HOST_ABI}`,
      { location: { plugin }, details: { pluginAbi: abi, manifestAbi: manifest.abi, hostAbi: HOST_ABI } },
    );
  }
  return abi;
}

export function checkWorld(manifest: PluginManifest, shape: ComponentShape, logger?: Logger): ComponentWorld {
  const plugin = manifest.name;
  const role = manifest.role;
  let hostVersion: string | undefined;
  for (const name of shape.imports) {
    const [iface, version] = splitVersion(name);
    if (iface === HOST_INTERFACE || iface === TYPES_INTERFACE) {
      hostVersion ??= version;
      if (version !== hostVersion) {
        throw deny(logger, {
          plugin,
          capability: 'abi',
          resource: name,
          message: `plugin ${plugin}: component imports two versions of dativo:plugin (${hostVersion} and ${version})`,
        });
      }
      continue;
    }
    if ((WASI_INTERFACES as readonly string[]).includes(iface)) continue;
    throw deny(logger, {
      plugin,
      capability: 'import',
      resource: name,
      message:
        `plugin ${plugin}: component imports ${name}, which this host does not grant (components get ` +
        `${HOST_INTERFACE} and WASI clocks, random and stderr only: no filesystem, environment, sockets or fetch); ` +
        'build it with `dativo plugin build`, which names the code that pulls the import in',
    });
  }
  const abi = checkVersion(manifest, hostVersion, logger);
  const world: readonly string[] = WORLD_EXPORTS[role];
  const other: readonly string[] = WORLD_EXPORTS[role === 'reader' ? 'writer' : 'reader'];
  const names = shape.exports;
  const missing = REQUIRED[role].filter((n) => !names.includes(n));
  const foreign = names.filter((n) => !world.includes(n));
  if (missing.length > 0 || foreign.length > 0) {
    const looksOther = names.some((n) => other.includes(n) && !world.includes(n));
    throw new DativoError(
      'PLUGIN_ERROR',
      `plugin ${plugin}: the component does not implement the dativo:plugin/${role} world ` +
        (missing.length > 0 ? `(missing ${missing.join(', ')})` : `(unexpected export ${foreign[0]})`) +
        (looksOther ? `; it looks like a ${role === 'reader' ? 'writer' : 'reader'}` : ''),
      { location: { plugin }, details: { missing, foreign } },
    );
  }
  return { abi, exports: names.map((n) => n.replaceAll('-', '_')) };
}
