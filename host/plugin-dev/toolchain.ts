/**
 * Finding the Rust → wasm toolchain that works offline here: Debian's `rustc-web`/`cargo-web`
 * (1.96) with `rust-web-src`, whose `library/vendor` lets `-Zbuild-std` build std without
 * crates.io, and `wasm-ld` from `lld`. rustup's proxies usually come first in PATH and cannot
 * target wasm offline, so the Debian binaries are called by absolute path (overridable for tests
 * and other distributions with DATIVO_CARGO / DATIVO_RUSTC / DATIVO_WASM_LD).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DativoError } from '../errors.js';

/** What `scripts/build-rust-plugins.sh` installs; named in the error when something is missing. */
export const RUST_PACKAGES = ['rustc-web', 'cargo-web', 'rust-web-src', 'lld'] as const;
export const WASM_TARGET = 'wasm32-unknown-unknown';

export interface RustToolchain {
  cargo: string;
  rustc: string;
  wasmLd: string;
  sysroot: string;
  /** std's vendored dependencies: the offline source that replaces crates.io. */
  vendorDir: string;
  version: string;
}

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

function missing(what: string): DativoError {
  return new DativoError(
    'TOOLCHAIN_MISSING',
    `the Rust → WebAssembly toolchain is not installed (${what}). Install it with:\n` +
      // Without a fresh package index apt may offer an older rustc-web or none (it is in bookworm-security).
      '  sudo apt-get update\n' +
      `  sudo apt-get install -y --no-install-recommends ${RUST_PACKAGES.join(' ')}\n` +
      '(Debian 12: the packages come from bookworm-security; rustup cannot build wasm offline). ' +
      'Or run scripts/build-rust-plugins.sh in a Dativo checkout, which installs them.',
    { details: { reason: 'toolchain_missing', packages: [...RUST_PACKAGES] } },
  );
}

/** Throws TOOLCHAIN_MISSING naming the packages to install. */
export function findRustToolchain(env: NodeJS.ProcessEnv = process.env): RustToolchain {
  const cargo = env.DATIVO_CARGO ?? '/usr/bin/cargo';
  const rustc = env.DATIVO_RUSTC ?? '/usr/bin/rustc';
  if (!existsSync(rustc)) throw missing(`no ${rustc}`);
  if (!existsSync(cargo)) throw missing(`no ${cargo}`);
  let version: string;
  let sysroot: string;
  try {
    version = execFileSync(rustc, ['--version'], { encoding: 'utf8' }).trim();
    sysroot = execFileSync(rustc, ['--print', 'sysroot'], { encoding: 'utf8' }).trim();
  } catch (e) {
    throw missing(`${rustc} does not run: ${(e as Error).message}`);
  }
  const m = /rustc (\d+)\.(\d+)/.exec(version);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 80)
    throw missing(`${version || rustc} is too old; need 1.80+`);
  const vendorDir = path.join(sysroot, 'lib', 'rustlib', 'src', 'rust', 'library', 'vendor');
  if (!existsSync(vendorDir)) throw missing(`no Rust source with vendored std crates at ${vendorDir}`);
  const wasmLd = env.DATIVO_WASM_LD ?? which('wasm-ld') ?? '/usr/bin/wasm-ld';
  if (!existsSync(wasmLd)) throw missing('no wasm-ld');
  return { cargo, rustc, wasmLd, sysroot, vendorDir, version };
}
