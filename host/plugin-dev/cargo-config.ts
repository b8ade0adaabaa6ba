/**
 * The cargo settings a plugin built outside the workspace needs to build like one inside it.
 * Two halves, so a plugin folder holds no path of the machine that scaffolded it:
 * - written once into the plugin's `.cargo/config.toml` / `Cargo.toml`: what is the same on every
 *   machine (wasm target, -Zbuild-std, the memory-maximum rustflags, offline, the release profile);
 * - resolved by `dativo plugin build` on every build (`buildTimeCargoArgs`): the PDK of the Dativo
 *   that builds it, the toolchain's std vendor folder and the shared target folder.
 * Identical rustflags and profile are what let cargo reuse the one std build in that folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dativoRoot, pdkRustDir, sharedTargetDir, workspaceCargoConfig } from './paths.js';

/** The source name the workspace config gives the std vendor folder. */
export const STD_VENDOR_SOURCE = 'debian-std-vendor';

/** Used when the installed Dativo has no workspace config (it should; kept in step with it). */
const FALLBACK_CONFIG = `[build]
target = "wasm32-unknown-unknown"

[unstable]
build-std = ["std", "panic_abort"]

[target.wasm32-unknown-unknown]
linker = "wasm-ld"
rustflags = ["-C", "link-arg=--max-memory=67108864"]

[net]
offline = true
`;

const FALLBACK_PROFILE = `[profile.release]
opt-level = 3
lto = true
codegen-units = 1
panic = "abort"
strip = true
debug = false

[profile.dev]
panic = "abort"
`;

const toml = (s: string): string => JSON.stringify(s);

/** Keys of the workspace config that name paths of this machine: `plugin build` supplies them. */
const MACHINE_KEYS = /^\s*(target-dir|rustc)\s*=/;

/**
 * The workspace config without its commentary (it talks about the workspace), its `[source.*]`
 * tables and its machine paths; what is left is the same on every machine.
 */
function portableSettings(workspaceConfig: string): string {
  const out: string[] = [];
  let inSource = false;
  for (const line of workspaceConfig.split('\n')) {
    const header = /^\s*\[([^\]]+)\]/.exec(line);
    if (header) inSource = header[1]!.startsWith('source.');
    if (inSource || line.startsWith('#') || MACHINE_KEYS.test(line)) continue;
    out.push(line);
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

/** `.cargo/config.toml` for a plugin folder outside the workspace: no path of this machine. */
export function pluginCargoConfig(root = dativoRoot()): string {
  const file = workspaceCargoConfig(root);
  const body = existsSync(file) ? portableSettings(readFileSync(file, 'utf8')) : FALLBACK_CONFIG;
  return (
    '# Written by `dativo plugin init`. Builds like the Dativo plugin workspace: offline, wasm32, std\n' +
    '# built from Debian rust-web-src (-Zbuild-std). `dativo plugin build` adds what depends on the\n' +
    '# machine: the PDK of the Dativo that builds it, the std vendor folder and a target folder\n' +
    '# shared by every plugin (std is compiled once). Keep rustflags and the release profile as they\n' +
    '# are, or std is rebuilt.\n\n' +
    body
  );
}

/** The PDK's version requirement for a plugin's Cargo.toml ("0.1" for PDK 0.1.x). */
export function pdkVersionRequirement(root = dativoRoot()): string {
  const file = path.join(root, 'Cargo.toml');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const m = /^\[workspace\.package\][^[]*?^version\s*=\s*"(\d+)\.(\d+)\.\d+[^"]*"/ms.exec(text);
  if (!m) return '0.1';
  return m[1] === '0' ? `0.${m[2]}` : m[1]!;
}

export interface BuildTimeCargo {
  /** `--config` arguments: std vendor source, PDK patch. */
  args: string[];
  targetDir: string;
}

/**
 * What `dativo plugin build` tells cargo on every build: crates.io (only std's dependencies are
 * ever resolved from it) replaced by the toolchain's vendor folder, `dativo-pdk` patched to this
 * Dativo's PDK, and the shared target folder.
 */
export function buildTimeCargo(vendorDir: string, root = dativoRoot()): BuildTimeCargo {
  return {
    args: [
      '--config',
      `source.crates-io.replace-with=${toml(STD_VENDOR_SOURCE)}`,
      '--config',
      `source.${STD_VENDOR_SOURCE}.directory=${toml(vendorDir)}`,
      '--config',
      `patch.crates-io.dativo-pdk.path=${toml(pdkRustDir(root))}`,
    ],
    targetDir: sharedTargetDir(root),
  };
}

/** The `[profile.*]` sections of the workspace Cargo.toml (profiles of non-root members are ignored). */
export function workspaceProfiles(root = dativoRoot()): string {
  const file = path.join(root, 'Cargo.toml');
  if (!existsSync(file)) return FALLBACK_PROFILE;
  const out: string[] = [];
  let keep = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const header = /^\s*\[([^\]]+)\]/.exec(line);
    if (header) keep = header[1]!.startsWith('profile.');
    if (keep && !line.startsWith('#')) out.push(line);
  }
  const text = out.join('\n').trim();
  return text ? `${text}\n` : FALLBACK_PROFILE;
}
