#!/usr/bin/env bash
# Start a throwaway OCI registry (Debian's docker-registry, the CNCF distribution server) on
# 127.0.0.1:${REGISTRY_PORT:-55000} with its storage in $RUN_DIR/registry/storage, and write
# $RUN_DIR/registry.env (REGISTRY_URL, REGISTRY_HOSTPORT). Also installs the tools the plugin
# marketplace tests use to check interop: skopeo (copy/inspect OCI artifacts) and minisign.
# No auth, deletes enabled, no TLS: loopback only. Idempotent. Stop it with stop-registry.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_lock registry

REGISTRY_PORT="${REGISTRY_PORT:-55000}"
REGISTRY_DIR="$RUN_DIR/registry"
REGISTRY_ENV="$RUN_DIR/registry.env"
REGISTRY_PID="$REGISTRY_DIR/registry.pid"

write_registry_env() {
  write_env_file "$REGISTRY_ENV" <<ENV
REGISTRY_URL=http://127.0.0.1:$REGISTRY_PORT
REGISTRY_HOSTPORT=127.0.0.1:$REGISTRY_PORT
ENV
}

ready() { curl -fsS "http://127.0.0.1:$REGISTRY_PORT/v2/" >/dev/null; }

mkdir -p "$REGISTRY_DIR/storage"
ensure_packages "docker-registry skopeo minisign curl" docker-registry skopeo minisign curl

if pid_alive "$REGISTRY_PID" && ready; then
  [ -s "$REGISTRY_ENV" ] || write_registry_env
  say "registry already running on 127.0.0.1:$REGISTRY_PORT"
  exit 0
fi
stop_pidfile "$REGISTRY_PID" docker-registry 3
port_in_use "$REGISTRY_PORT" && die "127.0.0.1:$REGISTRY_PORT is in use by another process (set REGISTRY_PORT)"

cat >"$REGISTRY_DIR/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REGISTRY_PORT
YAML

launch "$REGISTRY_PID" "$REGISTRY_DIR/registry.log" docker-registry serve "$REGISTRY_DIR/config.yml"
if ! wait_until 30 "$REGISTRY_PID" "registry" ready; then
  die "docker-registry did not come up (see $REGISTRY_DIR/registry.log)"
fi
write_registry_env
say "registry ready on 127.0.0.1:$REGISTRY_PORT in $(elapsed)s, env in $REGISTRY_ENV"
