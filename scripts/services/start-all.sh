#!/usr/bin/env bash
# Start every service the test suite needs (each script installs its packages when missing and is
# idempotent). Called in the background by scripts/test-all.sh while npm installs.
# The services start in parallel; the exit status is non-zero when any of them failed.
set -uo pipefail
cd "$(dirname "$0")"
pids=()
names=()
for s in radosgw postgres mariadb; do
  bash "start-$s.sh" &
  pids+=($!)
  names+=("$s")
done
status=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "start-all: ${names[$i]} failed to start" >&2
    status=1
  fi
done
exit "$status"
