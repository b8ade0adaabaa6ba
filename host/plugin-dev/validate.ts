/**
 * `dativo plugin validate DIR`: everything a job would check before it runs the plugin, and the
 * capabilities it uses against those it declares, without running any plugin code. The steps
 * are the loader's own (`preparePlugin`: manifest, ABI table, runtime, role, sha256, wasm header;
 * for a component the transpile and its world; for a module its imports and exports), so
 * validate and a job cannot disagree. The first problem throws a DativoError naming it.
 */
import path from 'node:path';
import { DativoError } from '../errors.js';
import { DATIVO_NAMESPACE } from '../plugins/extism/host-functions.js';
import { loadPluginManifest, type PluginManifest, readVerifiedEntry } from '../plugins/manifest.js';
import { parseWasmModule } from '../plugins/wasm-module.js';
import { prepare, streamContract, testConfigFor } from './harness.js';
import { UNBUILT_SHA256 } from './manifest-edit.js';
import { checkPythonClass } from './python-build.js';

export interface ValidateReport {
  plugin: string;
  role: 'reader' | 'writer';
  runtime: string;
  abi: string;
  /** The exports a job will call (Extism spelling: next_batch). */
  exports: string[];
  /** Streams whose contract loaded. */
  contracts: string[];
  /** Not wrong, but worth a look (a capability declared and never used). */
  warnings: string[];
}

/**
 * A host function an Extism module imports → the capability the manifest must declare for it to
 * ever succeed. A component imports the whole `dativo:plugin/host` interface whatever it calls,
 * so for components this is checked when the call is made (a denial naming the capability).
 */
const NEEDS: Record<string, { declared: (m: PluginManifest) => boolean; what: string }> = {
  http_request: {
    declared: (m) => (m.capabilities.network?.hosts.length ?? 0) > 0,
    what: 'capabilities.network.hosts',
  },
  secret_get: { declared: (m) => m.capabilities.secrets.length > 0, what: 'capabilities.secrets' },
  input_read: { declared: (m) => m.capabilities.files, what: 'capabilities.files: true' },
  input_list: { declared: (m) => m.capabilities.files, what: 'capabilities.files: true' },
  output_write: { declared: (m) => m.role === 'writer', what: 'role: writer' },
};

function problem(manifest: PluginManifest, message: string, keyPath?: string): DativoError {
  return new DativoError('CONFIG_INVALID', `plugin ${manifest.name}: ${message}`, {
    location: { plugin: manifest.name, ...(keyPath ? { keyPath } : {}) },
  });
}

/** What an Extism module's imports say it will call, against what its manifest declares. */
function checkModuleCapabilities(manifest: PluginManifest, wasm: Uint8Array, warnings: string[]): void {
  const used = new Set(
    parseWasmModule(wasm)
      .imports.filter((i) => i.module === DATIVO_NAMESPACE)
      .map((i) => i.name),
  );
  for (const [fn, need] of Object.entries(NEEDS)) {
    if (used.has(fn) && !need.declared(manifest)) {
      throw problem(
        manifest,
        `${manifest.entry.file} imports ${DATIVO_NAMESPACE}.${fn}, but the manifest does not declare ${need.what}: every such call would be denied`,
        'capabilities',
      );
    }
  }
  const declaredUnused: [boolean, string][] = [
    [
      (manifest.capabilities.network?.hosts.length ?? 0) > 0 && !used.has('http_request'),
      'capabilities.network',
    ],
    [manifest.capabilities.secrets.length > 0 && !used.has('secret_get'), 'capabilities.secrets'],
    [manifest.capabilities.files && !used.has('input_read'), 'capabilities.files'],
  ];
  for (const [unused, what] of declaredUnused) {
    if (unused)
      warnings.push(`${what} is declared but the module never calls the host function that uses it`);
  }
}

/** What a wasm plugin exports, as the host sees it (and, for an Extism module, its capabilities). */
async function moduleExports(root: string, manifest: PluginManifest, warnings: string[]): Promise<string[]> {
  const { config } = testConfigFor(root, manifest);
  const prepared = prepare(root, manifest, config);
  if (prepared.runtime) {
    const { world } = (await prepared.runtime.check()) as { world: { exports: string[] } };
    return world.exports;
  }
  checkModuleCapabilities(manifest, prepared.wasm, warnings);
  return parseWasmModule(prepared.wasm).exports;
}

export async function validatePlugin(dir: string): Promise<ValidateReport> {
  const root = path.resolve(dir);
  const { manifest } = loadPluginManifest(root, 'reader');
  if (manifest.entry.sha256.toLowerCase() === UNBUILT_SHA256) {
    throw problem(
      manifest,
      `not built yet (entry.sha256 is the digest of nothing): run \`dativo plugin build ${dir}\` first`,
      'entry.sha256',
    );
  }
  const warnings: string[] = [];
  let exports: string[];
  if (manifest.runtime === 'python') {
    // Nothing to instantiate: the source is what runs. It must be the one built, with its class.
    const loaded = loadPluginManifest(root, 'reader');
    const source = Buffer.from(readVerifiedEntry(loaded)).toString('utf8');
    exports = [`${manifest.entry.file}:${checkPythonClass(manifest, loaded.entryPath, source)}`];
  } else {
    exports = await moduleExports(root, manifest, warnings);
  }
  const contracts: string[] = [];
  for (const s of manifest.streams) {
    if (!s.contract) continue;
    await streamContract(root, manifest, s.name);
    contracts.push(s.contract);
  }
  return {
    plugin: manifest.name,
    role: manifest.role,
    runtime: manifest.runtime,
    abi: manifest.abi,
    exports,
    contracts,
    warnings,
  };
}
