/**
 * The grant: what the manifest requests ∩ what the job allows, bounded by `plugins.sandbox`
 * (architecture §5, §7). Also the checks on the module itself that happen before it is compiled:
 * ABI version (custom section) and the declared memory maximum. Every denial names the plugin,
 * the capability and the resource, and leaves an audit line (`event_type: 'plugin_denied'`).
 */
import type { PluginRef, SandboxLimits } from '../config/types.js';
import { DativoError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { ABI_VERSIONS } from './abi-support.js';
import type { GrantedFile } from './input-files.js';
import { HOST_ABI, type HttpPolicyConfig, httpPolicySchema, type PluginManifest } from './manifest.js';
import {
  pagesToBytes,
  parseWasmModule,
  readAbiVersion,
  WasmFormatError,
  type WasmModuleInfo,
} from './wasm-module.js';

const MB = 1024 * 1024;

export interface Grant {
  plugin: string;
  role: 'reader' | 'writer';
  /** Lower-case `host:port`. */
  hosts: string[];
  secrets: string[];
  /** Upper bound for the module's declared linear-memory maximum. */
  memoryBytes: number;
  /** Bytes the host may allocate on the plugin's behalf outside linear memory (kernel blocks, vars). */
  kernelBytes: number;
  timeoutMs: number;
  outputBytes: number;
  http: HttpPolicyConfig;
  /**
   * Readers with `capabilities.files`: the job's `source.files`, expanded, by logical name. Filled
   * in by the source factory (it needs the job); absent = no file access.
   */
  files?: GrantedFile[];
  /** WASI is never granted to Extism plugins in this version (no filesystem, environment or clock). */
  wasi: false;
}

export type Capability =
  | 'network'
  | 'secret'
  | 'memory'
  | 'timeout'
  | 'output'
  | 'wasi'
  | 'abi'
  | 'integrity'
  | 'kernel-memory'
  | 'runtime'
  | 'import'
  | 'file';

export interface Denial {
  plugin: string;
  capability: Capability;
  resource: string;
  message: string;
}

export function denialError(d: Denial): DativoError {
  return new DativoError('PLUGIN_DENIED', d.message, {
    location: { plugin: d.plugin },
    details: { capability: d.capability, resource: d.resource },
  });
}

/** The audit line for a denial. Logged by the host thread (never with a secret value in it). */
export function auditDenial(logger: Logger | undefined, d: Denial): void {
  logger?.warn(
    { event_type: 'plugin_denied', plugin: d.plugin, capability: d.capability, resource: d.resource },
    d.message,
  );
}

export function deny(logger: Logger | undefined, d: Denial): DativoError {
  auditDenial(logger, d);
  return denialError(d);
}

/** Docker-style sizes: "512m", "1g", "256Mi", "64MB", or a number of bytes. */
export function parseSize(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)?\s*$/i.exec(v);
  if (!m) return undefined;
  const unit = { '': 1, k: 1024, m: MB, g: 1024 * MB, t: 1024 * 1024 * MB }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Math.floor(Number(m[1]) * unit);
}

function minDefined(...xs: (number | undefined)[]): number {
  const ys = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return Math.min(...ys);
}

/** Does a job `allow.hosts` entry cover a requested `host:port`? A job entry without a port covers any port. */
function allowCovers(allowEntry: string, requested: string): boolean {
  const a = allowEntry
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/\/.*$/, '');
  const r = requested.toLowerCase();
  return a.includes(':') ? a === r : r.startsWith(`${a}:`);
}

export function computeGrant(
  manifest: PluginManifest,
  allow: PluginRef['allow'],
  sandbox: SandboxLimits | undefined,
  logger?: Logger,
): Grant {
  const caps = manifest.capabilities;
  const requestedHosts = (caps.network?.hosts ?? []).map((h) => h.toLowerCase());
  const networkOff = sandbox?.networkDisabled === true;
  const hosts = networkOff ? [] : requestedHosts.filter((h) => allow.hosts.some((a) => allowCovers(a, h)));
  const secrets = caps.secrets.filter((s) => allow.secrets.includes(s));
  for (const h of requestedHosts.filter((x) => !hosts.includes(x))) {
    logger?.info(
      { event_type: 'plugin_not_granted', plugin: manifest.name, capability: 'network', resource: h },
      networkOff
        ? 'network disabled by plugins.sandbox.network_disabled'
        : 'requested host not allowed by the job',
    );
  }
  for (const s of caps.secrets.filter((x) => !secrets.includes(x))) {
    logger?.info(
      { event_type: 'plugin_not_granted', plugin: manifest.name, capability: 'secret', resource: s },
      'requested secret not allowed by the job',
    );
  }
  const sandboxMem = parseSize(sandbox?.memoryLimit);
  const memoryBytes = minDefined(
    caps.memory_mb * MB,
    allow.memoryMb === undefined ? undefined : allow.memoryMb * MB,
    sandboxMem,
  );
  const timeoutMs = minDefined(
    caps.timeout_ms,
    allow.timeoutMs,
    sandbox?.timeout === undefined ? undefined : sandbox.timeout * 1000,
  );
  const outputBytes = minDefined(
    caps.output_mb * MB,
    allow.outputMb === undefined ? undefined : allow.outputMb * MB,
  );
  return {
    plugin: manifest.name,
    role: manifest.role,
    hosts,
    secrets,
    memoryBytes,
    // A separate pool of the same size as the memory grant: the plugin can hold at most twice its grant.
    kernelBytes: memoryBytes,
    timeoutMs,
    outputBytes,
    http: caps.http ?? httpPolicySchema.parse({}),
    wasi: false,
  };
}

/** Whether the host's ABI table (abi-support.ts, the one place that decides) runs this version. */
export function abiCompatible(pluginAbi: string): boolean {
  return ABI_VERSIONS.some((v) => v.version === pluginAbi.trim());
}

/**
 * Everything we can refuse from the bytes alone, before compiling: format, ABI section, memory
 * maximum, WASI imports, imported memory. Returns the parsed module info for the runtime.
 */
export function checkModule(
  manifest: PluginManifest,
  bytes: Uint8Array,
  grant: Grant,
  logger?: Logger,
  /** Import module → the function names this runtime provides there. */
  provided: Record<string, readonly string[]> = {},
): WasmModuleInfo {
  const plugin = manifest.name;
  let info: WasmModuleInfo;
  try {
    info = parseWasmModule(bytes);
  } catch (e) {
    if (!(e instanceof WasmFormatError)) throw e;
    throw new DativoError(
      'PLUGIN_ERROR',
      `plugin ${plugin}: ${manifest.entry.file} is not a valid module: ${e.message}`,
      {
        location: { plugin },
      },
    );
  }
  const abi = readAbiVersion(info);
  if (abi === undefined) {
    throw new DativoError(
      'PLUGIN_VERSION_INCOMPATIBLE',
      `plugin ${plugin}: module has no "dativo_abi" custom section; this host speaks ABI ${HOST_ABI}`,
      { location: { plugin }, details: { hostAbi: HOST_ABI } },
    );
  }
  if (abi !== manifest.abi || !abiCompatible(abi)) {
    auditDenial(logger, { plugin, capability: 'abi', resource: abi, message: 'ABI mismatch' });
    throw new DativoError(
      'PLUGIN_VERSION_INCOMPATIBLE',
      `plugin ${plugin}: module ABI version ${abi} (manifest says ${manifest.abi}) is not compatible with this host's ABI ${HOST_ABI}`,
      { location: { plugin }, details: { pluginAbi: abi, manifestAbi: manifest.abi, hostAbi: HOST_ABI } },
    );
  }
  const wasiImport = info.imports.find((i) => i.module.startsWith('wasi'));
  if (wasiImport) {
    throw deny(logger, {
      plugin,
      capability: 'wasi',
      resource: `${wasiImport.module}.${wasiImport.name}`,
      message:
        `plugin ${plugin}: module imports ${wasiImport.module}.${wasiImport.name}, but WASI is not granted ` +
        '(no filesystem, environment or clock for plugins); rebuild without WASI (e.g. clang --target=wasm32 / wasm32-unknown-unknown)',
    });
  }
  for (const imp of info.imports) {
    if (imp.kind === 'memory') continue;
    const names = provided[imp.module];
    if (imp.kind !== 'function' || !names || !names.includes(imp.name)) {
      throw deny(logger, {
        plugin,
        capability: 'import',
        resource: `${imp.module}.${imp.name}`,
        message:
          `plugin ${plugin}: module imports ${imp.kind} ${imp.module}.${imp.name}, which this host does not provide ` +
          `(plugins may import only ${Object.keys(provided).join(' and ') || 'nothing'}; no environment, filesystem or clock)`,
      });
    }
  }
  const mems = info.memories;
  if (mems.length !== 1 || mems[0]?.imported) {
    throw deny(logger, {
      plugin,
      capability: 'memory',
      resource:
        mems.length === 0 ? 'no memory' : mems[0]?.imported ? 'imported memory' : `${mems.length} memories`,
      message: `plugin ${plugin}: a plugin module must define exactly one memory of its own (found ${mems.length}${mems[0]?.imported ? ', imported' : ''})`,
    });
  }
  const mem = mems[0]!;
  if (mem.shared || mem.memory64) {
    throw deny(logger, {
      plugin,
      capability: 'memory',
      resource: mem.shared ? 'shared memory' : 'memory64',
      message: `plugin ${plugin}: ${mem.shared ? 'shared' : '64-bit'} memories are not supported`,
    });
  }
  if (mem.max === undefined) {
    throw deny(logger, {
      plugin,
      capability: 'memory',
      resource: 'memory maximum',
      message:
        `plugin ${plugin}: module declares no memory maximum, refused before instantiation; link it with a maximum ` +
        `of at most ${Math.floor(grant.memoryBytes / MB)} MiB (e.g. -Wl,--max-memory=${grant.memoryBytes})`,
    });
  }
  if (pagesToBytes(mem.max) > grant.memoryBytes) {
    throw deny(logger, {
      plugin,
      capability: 'memory',
      resource: `${pagesToBytes(mem.max)} bytes`,
      message:
        `plugin ${plugin}: module declares a memory maximum of ${(pagesToBytes(mem.max) / MB).toFixed(1)} MiB, ` +
        `above the ${(grant.memoryBytes / MB).toFixed(1)} MiB granted (memory_mb)`,
    });
  }
  return info;
}
