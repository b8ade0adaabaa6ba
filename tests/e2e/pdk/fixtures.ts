/**
 * Test plumbing for the Rust PDK: build the cargo workspace (scripts/build-rust-plugins.sh,
 * incremental after the first run) and package a built crate as a plugin folder.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const RUST_RELEASE = path.join(REPO, '.run', 'cargo-target', 'wasm32-unknown-unknown', 'release');
/** Packaged first-party plugins (plugin.wasm + manifest with its sha256). */
export const RUST_PLUGINS = path.join(REPO, '.run', 'rust-plugins');

/** Builds the named cargo packages (each `-p`), or the whole workspace. */
export function buildRustPlugins(...packages: string[]): void {
  const args = packages.flatMap((p) => ['-p', p]);
  execFileSync('bash', [path.join(REPO, 'scripts', 'build-rust-plugins.sh'), ...args], {
    cwd: REPO,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** A plugin folder in a temp dir for a built crate (`pdk-echo` → pdk_echo.wasm). */
export function rustPluginDir(
  crate: string,
  opts: { role?: 'reader' | 'writer'; capabilities?: Record<string, unknown> } = {},
): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dativo-rust-plugin-${crate}-`));
  const wasm = path.join(dir, 'plugin.wasm');
  copyFileSync(path.join(RUST_RELEASE, `${crate.replace(/-/g, '_')}.wasm`), wasm);
  const manifest = {
    name: crate,
    version: '0.1.0',
    role: opts.role ?? 'reader',
    runtime: 'extism',
    abi: '1.0',
    entry: { file: 'plugin.wasm', sha256: createHash('sha256').update(readFileSync(wasm)).digest('hex') },
    capabilities: { memory_mb: 64, timeout_ms: 20_000, ...(opts.capabilities ?? {}) },
  };
  writeFileSync(path.join(dir, 'dativo-plugin.yaml'), stringify(manifest));
  return dir;
}
