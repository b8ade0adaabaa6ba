#!/usr/bin/env bash
# Build the Dativo image (the repo's Dockerfile) with no registry and no network during the build:
#   1. a base image from the same debootstrap rootfs as the Singer test image
#      (scripts/build-singer-image.sh --rootfs) plus this machine's Node 20 binary:
#      dativo-test/node20-base:local;
#   2. a build context with dist/ (built here) and production node_modules (npm ci --omit=dev,
#      cached by the lock file's hash under $DATIVO_CACHE_DIR);
#   3. docker build --build-arg BASE_IMAGE=dativo-test/node20-base:local -t ${DATIVO_IMAGE:-dativo:local}.
# Each step is skipped when its output exists with the same content hash. Prints the image tag.
source "$(dirname "${BASH_SOURCE[0]}")/services/lib.sh"

IMAGE="${DATIVO_IMAGE:-dativo:local}"
BASE="dativo-test/node20-base:local"
CACHE_DIR="${DATIVO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dativo}"
NODE_BIN="$(command -v node)"
"$SERVICES_DIR/start-docker.sh" >/dev/null

label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

# 1. base: rootfs + node
ROOTFS_TAR="$("$REPO_ROOT/scripts/build-singer-image.sh" --rootfs)"
base_hash="$( (basename "$ROOTFS_TAR"; sha256sum "$NODE_BIN" | cut -c1-64) | sha256sum | cut -c1-16)"
if [ "$(label "$BASE" dativo.content-hash)" != "$base_hash" ]; then
  ctx="$(mktemp -d)"
  rootfs_image="dativo-test/debian-py:$(basename "$ROOTFS_TAR" .tar | sed 's/.*-//')"
  docker image inspect "$rootfs_image" >/dev/null 2>&1 ||
    docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$ROOTFS_TAR" "$rootfs_image" >/dev/null
  cp "$NODE_BIN" "$ctx/node"
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $rootfs_image
COPY node /usr/local/bin/node
LABEL dativo.content-hash="$base_hash"
DOCKERFILE
  docker build -q -t "$BASE" "$ctx" >/dev/null
  rm -rf "$ctx"
  say "built $BASE ($("$NODE_BIN" --version))"
fi

# 2. context: dist + production node_modules
(cd "$REPO_ROOT" && node node_modules/typescript/bin/tsc -p tsconfig.build.json)
lock_hash="$(sha256sum "$REPO_ROOT/package-lock.json" | cut -c1-16)"
deps="$CACHE_DIR/prod-node_modules-$lock_hash"
if [ ! -d "$deps/node_modules" ]; then
  say "npm ci --omit=dev (production dependencies, cached by package-lock.json)"
  rm -rf "$deps.tmp" && mkdir -p "$deps.tmp"
  cp "$REPO_ROOT/package.json" "$REPO_ROOT/package-lock.json" "$deps.tmp/"
  (cd "$deps.tmp" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >"$CACHE_DIR/npm-ci.log" 2>&1) ||
    die "npm ci failed (see $CACHE_DIR/npm-ci.log)"
  rm -rf "$deps" && mv "$deps.tmp" "$deps"
fi
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
for p in package.json package-lock.json Dockerfile bin dist recipes registry examples assets; do
  cp -a "$REPO_ROOT/$p" "$ctx/"
done
# Read by the Python plugin runtime at run time (not compiled into dist/).
for p in host/plugins/python/sandbox plugin-pdk/python/dativo_pdk; do
  mkdir -p "$ctx/$(dirname "$p")"
  cp -a "$REPO_ROOT/$p" "$ctx/$p"
done
find "$ctx" -name __pycache__ -type d -prune -exec rm -rf {} +
rm -rf "$ctx"/examples/*/output
cp -a "$deps/node_modules" "$ctx/node_modules"

# 3. the image
say "docker build $IMAGE on $BASE"
docker build -q --network none --build-arg BASE_IMAGE="$BASE" -t "$IMAGE" "$ctx" >/dev/null
say "built $IMAGE"
echo "$IMAGE"
