/**
 * The cargo settings a plugin built outside the workspace needs to build like one inside it: the
 * workspace's `.cargo/config.toml` (offline std vendor source, wasm target, -Zbuild-std, the
 * memory-maximum rustflags) with the target folder made absolute and shared, and the workspace's
 * release profile. Identical rustflags and profile are what let cargo reuse the one std build.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dativoRoot, sharedTargetDir, workspaceCargoConfig } from './paths.js';

/** Used when the installed Dativo has no workspace config (it should; kept in step with it). */
const FALLBACK_CONFIG = `[build]
target = "wasm32-unknown-unknown"
target-dir = "target"
rustc = "/usr/bin/rustc"

[unstable]
build-std = ["std", "panic_abort"]

[source.crates-io]
replace-with = "debian-std-vendor"

[source.debian-std-vendor]
directory = "/usr/lib/rustlib/src/rust/library/vendor"

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

/** `.cargo/config.toml` for a plugin folder outside the workspace. */
export function pluginCargoConfig(root = dativoRoot(), targetDir = sharedTargetDir(root)): string {
  const file = workspaceCargoConfig(root);
  const base = existsSync(file) ? readFileSync(file, 'utf8') : FALLBACK_CONFIG;
  // Keep the settings, drop the workspace's commentary (it talks about the workspace).
  const body = base
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n')
    .replace(/^target-dir\s*=.*$/m, `target-dir = ${toml(targetDir)}`)
    .replace(/^\n+/, '');
  return (
    '# Written by `dativo plugin init`. Builds like the Dativo plugin workspace: offline, wasm32, std\n' +
    '# built from Debian rust-web-src (-Zbuild-std) into a target folder shared by every plugin, so\n' +
    '# std is compiled once. Keep rustflags and the release profile as they are, or std is rebuilt.\n' +
    `# Build with \`dativo plugin build\` (Dativo: ${root}).\n\n${body}`
  );
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
