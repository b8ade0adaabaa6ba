/**
 * `dativo plugin build [DIR]`: cargo (Debian's, offline, release, wasm32 with -Zbuild-std), then
 * the module is copied next to the manifest, checked the way the host will check it (ABI section,
 * imports, memory maximum within the manifest's memory_mb) and its sha256 written into the
 * manifest. A build that the host would refuse fails here, with the host's own message.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DativoError } from '../errors.js';
import {
  DATIVO_IMPORTS,
  DATIVO_NAMESPACE,
  KERNEL_IMPORTS,
  KERNEL_NAMESPACE,
} from '../plugins/extism/host-functions.js';
import { REQUIRED_EXPORTS } from '../plugins/load.js';
import { loadPluginManifest, MANIFEST_FILE, type PluginManifest } from '../plugins/manifest.js';
import { checkModule, computeGrant } from '../plugins/policy.js';
import { type BuildTimeCargo, buildTimeCargo } from './cargo-config.js';
import { buildComponentPlugin } from './component-build.js';
import { setManifestEntry } from './manifest-edit.js';
import { buildPythonPlugin } from './python-build.js';
import { findRustToolchain, type RustToolchain, WASM_TARGET } from './toolchain.js';

export interface BuildOptions {
  dir: string;
  toolchain?: RustToolchain;
  /** Compiler output (cargo's stderr), line by line; default: inherited stderr. */
  onOutput?: (text: string) => void;
}

export interface BuildResult {
  manifest: PluginManifest;
  /** Absolute path of the module next to the manifest. */
  wasm: string;
  sha256: string;
  bytes: number;
  ms: number;
}

function cargoEnv(tc: RustToolchain, cargo: BuildTimeCargo): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RUSTC: tc.rustc,
    CARGO_TARGET_DIR: cargo.targetDir,
    // -Zbuild-std on Debian's stable compiler (toolchain notes §3b).
    RUSTC_BOOTSTRAP: '1',
    PATH: `${path.dirname(tc.wasmLd)}${path.delimiter}${process.env.PATH ?? ''}`,
  };
}

interface CargoPackage {
  name: string;
  targets: { name: string; kind: string[] }[];
  manifest_path: string;
}

/** The crate's cdylib name. */
function cargoLibName(tc: RustToolchain, cargo: BuildTimeCargo, dir: string): string {
  const manifestPath = path.join(dir, 'Cargo.toml');
  let meta: { packages: CargoPackage[] };
  try {
    meta = JSON.parse(
      execFileSync(
        tc.cargo,
        [
          'metadata',
          '--format-version',
          '1',
          '--no-deps',
          '--offline',
          ...cargo.args,
          '--manifest-path',
          manifestPath,
        ],
        { cwd: dir, env: cargoEnv(tc, cargo), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? (e as Error).message;
    throw new DativoError('PLUGIN_ERROR', `cargo metadata failed in ${dir}:\n${stderr.trim()}`);
  }
  const pkg = meta.packages.find((p) => path.resolve(p.manifest_path) === path.resolve(manifestPath));
  const lib = pkg?.targets.find((t) => t.kind.includes('cdylib'));
  if (!lib) {
    throw new DativoError(
      'CONFIG_INVALID',
      `${manifestPath}: the crate must be a cdylib ([lib] crate-type = ["cdylib"]) to build a wasm module`,
      { location: { file: manifestPath } },
    );
  }
  return lib.name.replace(/-/g, '_');
}

function runCargo(
  tc: RustToolchain,
  cargo: BuildTimeCargo,
  dir: string,
  onOutput?: (t: string) => void,
): Promise<void> {
  const args = [
    'build',
    '--offline',
    ...cargo.args,
    '--release',
    '--target',
    WASM_TARGET,
    '-Zbuild-std=std,panic_abort',
    '--manifest-path',
    path.join(dir, 'Cargo.toml'),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(tc.cargo, args, {
      cwd: dir,
      env: cargoEnv(tc, cargo),
      stdio: ['ignore', 'inherit', onOutput ? 'pipe' : 'inherit'],
    });
    let tail = '';
    child.stderr?.on('data', (d: Buffer) => {
      const s = d.toString();
      tail = (tail + s).slice(-8000);
      onOutput?.(s);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new DativoError(
            'PLUGIN_ERROR',
            `cargo build failed in ${dir} (exit ${code})${tail ? `:\n${tail.trim()}` : ''}`,
          ),
        );
    });
  });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function buildPlugin(opts: BuildOptions): Promise<BuildResult> {
  const t0 = Date.now();
  const dir = path.resolve(opts.dir);
  const manifestPath = path.join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    throw new DativoError('CONFIG_NOT_FOUND', `${dir} has no ${MANIFEST_FILE}; is this a plugin folder?`);
  }
  // A TypeScript plugin (runtime: component) is bundled and componentized instead of cargo-built.
  const runtime = loadPluginManifest(dir, 'reader').manifest.runtime;
  if (runtime === 'component') return buildComponentPlugin(dir);
  // A Python plugin is checked and hashed: Pyodide runs its source.
  if (runtime === 'python') return buildPythonPlugin(dir);
  if (!existsSync(path.join(dir, 'Cargo.toml'))) {
    throw new DativoError('CONFIG_NOT_FOUND', `${dir} has no Cargo.toml; plugin build builds Rust plugins`);
  }
  const before = loadPluginManifest(dir, 'reader').manifest;
  const tc = opts.toolchain ?? findRustToolchain();
  const cargo = buildTimeCargo(tc.vendorDir);
  const lib = cargoLibName(tc, cargo, dir);
  await runCargo(tc, cargo, dir, opts.onOutput);
  const built = path.join(cargo.targetDir, WASM_TARGET, 'release', `${lib}.wasm`);
  if (!existsSync(built))
    throw new DativoError('PLUGIN_ERROR', `cargo reported success but ${built} is missing`);
  const bytes = new Uint8Array(readFileSync(built));
  // The checks the host makes before it runs a module, with the manifest's own request as the grant.
  const grant = computeGrant(
    before,
    { hosts: before.capabilities.network?.hosts ?? [], secrets: before.capabilities.secrets },
    undefined,
  );
  const info = checkModule(before, bytes, grant, undefined, {
    [KERNEL_NAMESPACE]: KERNEL_IMPORTS,
    [DATIVO_NAMESPACE]: DATIVO_IMPORTS,
  });
  const missing = REQUIRED_EXPORTS[before.role].filter((e) => !info.exports.includes(e));
  if (missing.length > 0) {
    throw new DativoError(
      'PLUGIN_ERROR',
      `plugin ${before.name}: the module does not export ${missing.join(', ')} (a ${before.role} must)`,
      { location: { plugin: before.name } },
    );
  }
  const dest = path.resolve(dir, before.entry.file);
  copyFileSync(built, dest);
  const digest = sha256(bytes);
  const manifest = setManifestEntry(manifestPath, { sha256: digest });
  return { manifest, wasm: dest, sha256: digest, bytes: bytes.byteLength, ms: Date.now() - t0 };
}
