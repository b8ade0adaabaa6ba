#!/usr/bin/env bash
# Build the plugin test fixtures (tests/fixtures/plugins/*.c, *.wat) into .run/plugins/ (git-ignored).
# Installs clang, lld and wabt with apt only when they are missing. Every module gets the
# "dativo_abi" custom section (clang 14 cannot emit custom sections from C, so we append it).
# Safe to run concurrently: each output is written to a temp name and renamed.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=tests/fixtures/plugins
OUT=${DATIVO_PLUGIN_BUILD_DIR:-.run/plugins}
mkdir -p "$OUT"

if ! command -v clang >/dev/null || ! command -v wasm-ld >/dev/null || ! command -v wat2wasm >/dev/null; then
  echo "build-test-plugins: installing clang lld wabt" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends clang lld wabt >&2 ||
    { $SUDO apt-get -o DPkg::Lock::Timeout=600 update >&2 &&
      $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends clang lld wabt >&2; }
fi

stamp() { # stamp <in.wasm> <out.wasm> <abi>
  node -e '
    const fs = require("fs");
    const [src, dst, abi] = process.argv.slice(1);
    const leb = (n) => { const o = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
    const name = Buffer.from("dativo_abi"), payload = Buffer.from(abi);
    const body = Buffer.concat([Buffer.from(leb(name.length)), name, payload]);
    const section = Buffer.concat([Buffer.from([0, ...leb(body.length)]), body]);
    fs.writeFileSync(dst, Buffer.concat([fs.readFileSync(src), section]));
  ' "$1" "$2" "$3"
}

fresh() { # fresh <out> <sources...>: the output exists and is newer than every source and this script
  local out=$1; shift
  [ -f "$out" ] || return 1
  for s in "$@" "$0"; do [ "$out" -nt "$s" ] || return 1; done
}

c_module() { # c_module <name> <source.c> <max-memory-bytes|none> [abi]
  local name=$1 src=$2 max=$3 abi=${4:-1.0} tmp="$OUT/.$1.$$.wasm"
  fresh "$OUT/$name.wasm" "$SRC/$src" "$SRC/dativo.h" "$SRC/arrow_ipc.h" && return 0
  local memflag=(); [ "$max" != none ] && memflag=(-Wl,--max-memory="$max")
  clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--strip-all "${memflag[@]}" \
    -I"$SRC" -o "$tmp" "$SRC/$src"
  stamp "$tmp" "$tmp.s" "$abi" && rm -f "$tmp" && mv -f "$tmp.s" "$OUT/$name.wasm"
}

wat_module() { # wat_module <name> <source.wat>
  local tmp="$OUT/.$1.$$.wasm"
  fresh "$OUT/$1.wasm" "$SRC/$2" && return 0
  wat2wasm -o "$tmp" "$SRC/$2"
  stamp "$tmp" "$tmp.s" 1.0 && rm -f "$tmp" && mv -f "$tmp.s" "$OUT/$1.wasm"
}

MiB=1048576
c_module reader reader.c $((4 * MiB))
c_module reader-nomax reader.c none
c_module reader-abi2 reader.c $((4 * MiB)) 2.0
c_module writer writer.c $((16 * MiB))
c_module echo echo.c $((64 * MiB))
c_module http-client http_client.c $((2 * MiB))
c_module secrets secrets.c $((2 * MiB))
c_module memory-bomb memory_bomb.c $((2 * MiB))
c_module kernel-alloc kernel_alloc.c $((2 * MiB))
c_module output-flood output_flood.c $((4 * MiB))
c_module trap-reader trap_reader.c $((2 * MiB))
c_module bad-ipc bad_ipc.c $((2 * MiB))
wat_module spin spin.wat
wat_module wasi-read wasi_read.wat
wat_module wasi-env wasi_env.wat
wat_module env-import env_import.wat
echo "build-test-plugins: $(ls "$OUT"/*.wasm | wc -l) modules in $OUT" >&2
