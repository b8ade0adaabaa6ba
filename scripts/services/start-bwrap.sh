#!/usr/bin/env bash
# Make bubblewrap (`bwrap`) available: the sandbox for Singer taps run as local executables
# (host/engines/bwrap). Nothing to start; idempotent: returns at once when bwrap is on PATH and can
# create the namespaces the engine asks for.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_lock bwrap
ensure_packages "bwrap" bubblewrap
if ! bwrap --ro-bind / / --unshare-pid --unshare-ipc --unshare-uts --unshare-net --die-with-parent true 2>"$RUN_DIR/bwrap-probe.log"; then
  die "bwrap is installed but cannot create namespaces (see $RUN_DIR/bwrap-probe.log)"
fi
say "bubblewrap ready: $(bwrap --version)"
