#!/usr/bin/env bash
# Build the test Singer tap image (tests/fixtures/connectors/singer-tap) with no registry:
#   1. a Debian bookworm minbase rootfs with python3 (and libstdc++6, so the same rootfs can carry
#      Node for the Dativo image test), made by debootstrap and cached as a tarball;
#   2. that rootfs imported as dativo-test/debian-py:<rootfs-hash>;
#   3. the tap copied in: dativo-test/singer-tap:local, labelled with a content hash.
# Each step is skipped when its output exists with the same content hash, so a warm run takes well
# under a second. The rootfs cache lives in $DATIVO_CACHE_DIR (default ~/.cache/dativo, outside the clone): a CI
# that keeps that folder between runs skips the ~1 min debootstrap.
#
#   scripts/build-singer-image.sh             build (or reuse) the tap image; prints its tag
#   scripts/build-singer-image.sh --rootfs    only make (or reuse) the rootfs tarball; prints its path
source "$(dirname "${BASH_SOURCE[0]}")/services/lib.sh"

TAP_IMAGE="${SINGER_TAP_IMAGE:-dativo-test/singer-tap:local}"
CACHE_DIR="${DATIVO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dativo}"
SUITE=bookworm
INCLUDE=python3,libstdc++6
TAP_DIR="$REPO_ROOT/tests/fixtures/connectors/singer-tap"

mirror() {
  local m
  m="$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)"
  [ -n "$m" ] || m="$(grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -1 || true)"
  echo "${m:-http://deb.debian.org/debian}"
}

ROOTFS_KEY="$(printf '%s|%s|%s|minbase|v1' "$SUITE" "$INCLUDE" "$(dpkg --print-architecture)" | sha256sum | cut -c1-16)"
ROOTFS_TAR="$CACHE_DIR/debian-$SUITE-py-$ROOTFS_KEY.tar"

make_rootfs() {
  [ -s "$ROOTFS_TAR" ] && return 0
  with_lock singer-rootfs
  [ -s "$ROOTFS_TAR" ] && return 0
  ensure_packages "debootstrap" debootstrap
  mkdir -p "$CACHE_DIR"
  local dir="$CACHE_DIR/rootfs.$$"
  rm -rf "$dir"
  say "debootstrap $SUITE (minbase, $INCLUDE) from $(mirror)"
  debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$dir" "$(mirror)" >"$CACHE_DIR/debootstrap.log" 2>&1 ||
    { tail -20 "$CACHE_DIR/debootstrap.log" >&2; rm -rf "$dir"; die "debootstrap failed (see $CACHE_DIR/debootstrap.log)"; }
  # Package caches and lists are not needed at run time: a smaller image, a faster import.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc "$dir"/usr/share/man
  tar --numeric-owner -C "$dir" -cf "$ROOTFS_TAR.tmp" .
  mv -f "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
  rm -rf "$dir"
  say "rootfs cached: $ROOTFS_TAR ($(du -h "$ROOTFS_TAR" | cut -f1))"
}

image_label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

make_tap_image() {
  "$SERVICES_DIR/start-docker.sh" >/dev/null
  local base="dativo-test/debian-py:$ROOTFS_KEY"
  if ! docker image inspect "$base" >/dev/null 2>&1; then
    make_rootfs
    docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      "$ROOTFS_TAR" "$base" >/dev/null
    say "imported $base"
  fi
  local hash
  hash="$( (echo "$base"; cat "$TAP_DIR"/*.py "$0") | sha256sum | cut -c1-16)"
  if [ "$(image_label "$TAP_IMAGE" dativo.content-hash)" = "$hash" ]; then
    say "$TAP_IMAGE is up to date ($hash)"
    echo "$TAP_IMAGE"
    return 0
  fi
  local ctx
  ctx="$(mktemp -d)"
  cp "$TAP_DIR"/tap_fixture.py "$ctx/"
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $base
COPY tap_fixture.py /opt/tap/tap_fixture.py
LABEL dativo.content-hash="$hash"
USER 65534:65534
ENTRYPOINT ["/usr/bin/python3", "/opt/tap/tap_fixture.py"]
DOCKERFILE
  docker build -q -t "$TAP_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
  say "built $TAP_IMAGE ($hash)"
  echo "$TAP_IMAGE"
}

case "${1:-}" in
  --rootfs) make_rootfs; echo "$ROOTFS_TAR" ;;
  "") make_tap_image ;;
  *) die "usage: $0 [--rootfs]" ;;
esac
