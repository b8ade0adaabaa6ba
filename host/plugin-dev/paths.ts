/**
 * Where the installed Dativo keeps what plugin authors build against: the Rust PDK, the templates
 * and the cargo workspace whose target folder holds the one std build every plugin shares.
 */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The workspace's `build.target-dir` (.cargo/config.toml at the Dativo root). */
export const WORKSPACE_TARGET = '.run/cargo-target';

/** The Dativo install root: `host/plugin-dev/` and `dist/plugin-dev/` both sit two levels below it. */
export function dativoRoot(): string {
  return fileURLToPath(new URL('../..', import.meta.url));
}

export function pdkRustDir(root = dativoRoot()): string {
  return path.join(root, 'plugin-pdk', 'rust');
}

export function templateDir(lang: string, role = 'reader', root = dativoRoot()): string {
  return path.join(root, 'plugin-pdk', 'templates', `${lang}-${role}`);
}

function writable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The cargo target folder shared by every plugin built with this Dativo: `-Zbuild-std` builds std
 * into the target folder, so one shared folder means std is compiled once, not per plugin.
 * `DATIVO_RUST_TARGET_DIR` wins; then the workspace's own target folder when we may write there (a
 * source checkout); else a per-user cache (an install in a read-only prefix).
 */
export function sharedTargetDir(root = dativoRoot()): string {
  const env = process.env.DATIVO_RUST_TARGET_DIR;
  if (env) return path.resolve(env);
  const inWorkspace = path.join(root, WORKSPACE_TARGET);
  if (existsSync(path.join(root, 'Cargo.toml')) && writable(inWorkspace)) return inWorkspace;
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'dativo', 'rust-target');
}

/** The workspace's cargo config, which a scaffolded plugin copies (same rustflags → same std build). */
export function workspaceCargoConfig(root = dativoRoot()): string {
  return path.join(root, '.cargo', 'config.toml');
}
