#!/usr/bin/env bash
# Stop the dockerd started by start-docker.sh (by its recorded pid only). Running containers are
# stopped by dockerd itself on SIGTERM. Safe to run when nothing is running. Images stay in
# $RUN_DIR/docker/data so the next start reuses the test connectors.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_lock docker
stop_pidfile "$RUN_DIR/docker/dockerd.pid" dockerd 20
rm -f "$RUN_DIR/docker.env"
say "docker stopped in $(elapsed)s"
