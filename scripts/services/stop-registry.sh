#!/usr/bin/env bash
# Stop the docker-registry started by start-registry.sh (by its recorded pid only) and delete its
# storage. Safe to run when nothing is running.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_lock registry
stop_pidfile "$RUN_DIR/registry/registry.pid" docker-registry 5
rm -f "$RUN_DIR/registry.env"
rm -rf "$RUN_DIR/registry"
say "registry stopped in $(elapsed)s"
