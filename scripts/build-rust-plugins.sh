#!/usr/bin/env bash
# Build the Rust plugin workspace (Cargo.toml at the repo root: plugin-pdk/rust, plugins/*, the PDK
# test plugin) to wasm32 with Debian's rustc-web, offline (-Zbuild-std from rust-web-src; see
# .cargo/config.toml). Installs the toolchain with apt only when it is missing. std is built once
# into the shared target dir (.run/cargo-target); later builds are incremental.
#
# Then packages each first-party plugin that has a dativo-plugin.yaml as a ready-to-run plugin
# folder under .run/rust-plugins/<name>/ (plugin.wasm + the manifest with its sha256 filled in).
#
#   scripts/build-rust-plugins.sh            build the whole workspace (release)
#   scripts/build-rust-plugins.sh -p csv-reader -p pdk-echo    only these packages (cargo args)
#   DATIVO_RUST_PLUGINS_OUT=dir ...          package into another folder
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${DATIVO_RUST_PLUGINS_OUT:-.run/rust-plugins}
TARGET_DIR=.run/cargo-target
VENDOR=/usr/lib/rustlib/src/rust/library/vendor
PACKAGES="rustc-web cargo-web rust-web-src lld"

# rustup's proxies (~/.cargo/bin) come first in PATH and cannot build wasm32 offline: call the
# Debian binaries by path. rustc-web replaces Debian's rustc 1.63 in /usr/bin.
toolchain_ok() {
  [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ] && [ -d "$VENDOR" ] && command -v wasm-ld >/dev/null &&
    /usr/bin/rustc --version 2>/dev/null | grep -Eq 'rustc 1\.(9[6-9]|[1-9][0-9]{2})'
}
if ! toolchain_ok; then
  echo "build-rust-plugins: installing $PACKAGES (Debian bookworm-security)" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  # shellcheck disable=SC2086
  install() { $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends $PACKAGES >&2; }
  # A machine's package lists may be older than the security update that brings rustc-web 1.96: the
  # install then succeeds with 1.85 and the version check fails. Refresh the lists and retry.
  { install && toolchain_ok; } || { $SUDO apt-get -o DPkg::Lock::Timeout=600 update >&2 && install; }
  toolchain_ok || { echo "build-rust-plugins: the toolchain is still missing after installing $PACKAGES" >&2; exit 1; }
fi

SECONDS=0
RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$TARGET_DIR" \
  /usr/bin/cargo build --offline --release --target wasm32-unknown-unknown "$@"
echo "build-rust-plugins: cargo build took ${SECONDS} s" >&2

# Package first-party plugins: plugins/<dir>/dativo-plugin.yaml names entry.file = plugin.wasm;
# the module is target/.../<crate_name>.wasm (crate name with '-' → '_').
mkdir -p "$OUT"
for manifest in plugins/*/dativo-plugin.yaml; do
  [ -f "$manifest" ] || continue
  dir=$(dirname "$manifest")
  crate=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$dir/Cargo.toml" | head -1)
  wasm="$TARGET_DIR/wasm32-unknown-unknown/release/${crate//-/_}.wasm"
  [ -f "$wasm" ] || continue # not built (a -p subset)
  name=$(basename "$dir")
  dest="$OUT/$name"
  mkdir -p "$dest"
  cp -f "$wasm" "$dest/.plugin.wasm.$$" && mv -f "$dest/.plugin.wasm.$$" "$dest/plugin.wasm"
  sum=$(sha256sum "$dest/plugin.wasm" | cut -d' ' -f1)
  sed -E "s/^(\s*entry:.*sha256:\s*)[0-9a-fA-F]{64}/\1$sum/; s/^(\s*sha256:\s*)[0-9a-fA-F]{64}/\1$sum/" \
    "$manifest" >"$dest/.manifest.$$" && mv -f "$dest/.manifest.$$" "$dest/dativo-plugin.yaml"
  echo "build-rust-plugins: $dest ($(stat -c %s "$dest/plugin.wasm") bytes, sha256 $sum)" >&2
done
