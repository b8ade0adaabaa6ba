#!/usr/bin/env bash
# Start a Docker engine (Debian docker.io) for the Airbyte/Singer engine tests, on the default
# socket /var/run/docker.sock, and write $RUN_DIR/docker.env (DOCKER_HOST).
# Flags as in the services notes: no iptables and no bridge (containers may only use the `none` or
# `host` network here: the default bridge would route to private ranges, which is forbidden).
# Idempotent: returns at once when an engine already answers on the socket (ours or someone's).
# Stop it with stop-docker.sh (only an engine this script started, by its recorded pid).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_lock docker

DOCKER_DIR="$RUN_DIR/docker"
DOCKER_ENV="$RUN_DIR/docker.env"
DOCKER_PID="$DOCKER_DIR/dockerd.pid"
DOCKER_SOCK="${DOCKER_SOCK:-/var/run/docker.sock}"

write_docker_env() {
  write_env_file "$DOCKER_ENV" <<ENV
DOCKER_HOST=unix://$DOCKER_SOCK
ENV
}

ready() { docker -H "unix://$DOCKER_SOCK" info >/dev/null 2>&1; }

mkdir -p "$DOCKER_DIR"
# busybox-static gives the test connectors their rootfs (scripts/build-test-connectors.sh).
ensure_packages "dockerd containerd runc" docker.io
command -v docker >/dev/null 2>&1 || die "no docker client on PATH (docker.io provides one)"
[ -x /bin/busybox ] || ensure_packages "busybox" busybox-static

if ready; then
  write_docker_env
  say "docker engine already running on $DOCKER_SOCK"
  exit 0
fi
stop_pidfile "$DOCKER_PID" dockerd 5

# Data under $RUN_DIR so a stop never touches a system Docker's images.
launch "$DOCKER_PID" "$DOCKER_DIR/dockerd.log" dockerd \
  --iptables=false --ip6tables=false --bridge=none --storage-driver=overlay2 \
  --data-root="$DOCKER_DIR/data" --exec-root="$DOCKER_DIR/exec" --pidfile="$DOCKER_DIR/dockerd.self.pid" \
  --host="unix://$DOCKER_SOCK"
if ! wait_until 60 "$DOCKER_PID" "dockerd" ready; then
  tail -20 "$DOCKER_DIR/dockerd.log" >&2 || true
  die "dockerd did not come up (see $DOCKER_DIR/dockerd.log)"
fi
write_docker_env
say "docker engine ready on $DOCKER_SOCK in $(elapsed)s, env in $DOCKER_ENV"
