#!/usr/bin/env bash
# Build the connector images the engine tests run (no registry is reachable, so nothing is
# pulled): a busybox base made from the machine's busybox-static, an image without /bin/sh
# (dativo-test/noshell:local, for the engine's attach fallback), then one image per
# tests/fixtures/connectors/airbyte-<name>/ folder, tagged dativo-test/airbyte-<name>:local.
#
# Each image is also tagged with a hash of everything that goes into it (:h-<hash>); when that tag
# exists the build is skipped, so reruns cost a `docker image inspect`. Needs a running engine
# (scripts/services/start-docker.sh). Prints nothing on stdout but the built image names.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIX="$REPO_ROOT/tests/fixtures/connectors"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
say() { printf '[build-test-connectors] %s\n' "$*" >&2; }

docker info >/dev/null 2>&1 || { say "no Docker engine; run scripts/services/start-docker.sh"; exit 1; }
[ -x "$BUSYBOX" ] || { say "$BUSYBOX missing (apt-get update && apt-get install busybox-static)"; exit 1; }
"$BUSYBOX" --list | grep -x awk >/dev/null || { say "$BUSYBOX has no awk applet"; exit 1; }

have() { docker image inspect "$1" >/dev/null 2>&1; }

# --- busybox base ---------------------------------------------------------------------------
base_hash="$( (sha256sum "$BUSYBOX"; echo v2-tmp1777) | sha256sum | cut -c1-16)"
BASE="dativo-test/busybox:h-$base_hash"
if ! have "$BASE"; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/rootfs/bin" "$tmp/rootfs/etc" "$tmp/rootfs/tmp" "$tmp/rootfs/config" "$tmp/rootfs/proc" "$tmp/rootfs/sys" "$tmp/rootfs/dev"
  chmod 1777 "$tmp/rootfs/tmp"
  cp "$BUSYBOX" "$tmp/rootfs/bin/busybox"
  # Relative links: the host's /bin is a link into /usr/bin, absolute ones would dangle in the image.
  for a in $("$BUSYBOX" --list); do
    [ "$a" = busybox ] || ln -s busybox "$tmp/rootfs/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$tmp/rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/rootfs/etc/group"
  tar -C "$tmp/rootfs" --owner=0 --group=0 -c . |
    docker import -c 'ENV PATH=/bin' - "$BASE" >/dev/null
  docker tag "$BASE" dativo-test/busybox:local
  say "built $BASE"
fi

# --- an image without /bin/sh (the engine's attach fallback for stdout) ------------------------
NOSH="dativo-test/noshell:h-$base_hash"
if ! have "$NOSH"; then
  tmp_nosh="$(mktemp -d)"
  mkdir -p "$tmp_nosh/rootfs/tmp" "$tmp_nosh/rootfs/etc"
  chmod 1777 "$tmp_nosh/rootfs/tmp"
  cp "$BUSYBOX" "$tmp_nosh/rootfs/busybox"
  printf 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$tmp_nosh/rootfs/etc/passwd"
  tar -C "$tmp_nosh/rootfs" --owner=0 --group=0 -c . |
    docker import -c 'ENTRYPOINT ["/busybox"]' - "$NOSH" >/dev/null
  rm -rf "$tmp_nosh"
  say "built $NOSH"
fi
docker tag "$NOSH" dativo-test/noshell:local

# --- Airbyte test sources -------------------------------------------------------------------
for dir in "$FIX"/airbyte-*/; do
  name="$(basename "$dir")"
  [ -f "$dir/spec.json" ] || continue
  image="dativo-test/$name"
  hash="$( (echo "$BASE"; cd "$FIX" && find airbyte-common "$name" -type f | LC_ALL=C sort | xargs sha256sum) |
    sha256sum | cut -c1-16)"
  if have "$image:h-$hash"; then
    docker tag "$image:h-$hash" "$image:local"
    echo "$image:local"
    continue
  fi
  ctx="$(mktemp -d)"
  mkdir -p "$ctx/connector"
  cp -r "$dir". "$ctx/connector/"
  cp "$FIX/airbyte-common/"*.sh "$ctx/connector/"
  mv "$ctx/connector/source.sh" "$ctx/connector/main.sh"
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $BASE
COPY connector /connector
ENV AIRBYTE_ENTRYPOINT="/bin/sh /connector/main.sh"
LABEL io.airbyte.name="$image" io.airbyte.version="0.1.0" dev.dativo.content-hash="$hash"
ENTRYPOINT ["/bin/sh", "/connector/main.sh"]
DOCKERFILE
  docker build -q --network none -t "$image:h-$hash" -t "$image:local" "$ctx" >/dev/null
  rm -rf "$ctx"
  say "built $image:local ($hash)"
  echo "$image:local"
done
