#!/usr/bin/env bash
# Kill ONLY the radosgw process (SIGKILL, like a crash) and start it again with the same config.
# The mon and the memstore OSD keep running, so every object survives. For tests of client
# retries and of commits interrupted by a gateway outage.
#
# Env: RGW_DOWN_SECONDS (default 0) keeps the gateway down that long before restarting it.

source "$(dirname "${BASH_SOURCE[0]}")/radosgw-lib.sh"

with_lock radosgw

pid_alive "$CEPH_DIR/mon.pid" && pid_alive "$CEPH_DIR/osd.pid" && [ -s "$CEPH_CONF" ] ||
  die "no running Ceph cluster under $CEPH_DIR; run scripts/services/start-radosgw.sh first"

if pid_alive "$CEPH_DIR/rgw.pid"; then
  pid="$(cat "$CEPH_DIR/rgw.pid")"
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$CEPH_DIR/rgw.pid"
  say "killed radosgw (pid $pid)"
fi

# The port must be free before the new gateway binds it.
for _ in $(seq 1 50); do port_in_use "$(rgw_port)" || break; sleep 0.1; done

if [ "${RGW_DOWN_SECONDS:-0}" != 0 ]; then
  say "keeping radosgw down for ${RGW_DOWN_SECONDS}s"
  sleep "$RGW_DOWN_SECONDS"
fi

rgw_launch
say "restarted in $(elapsed)s"
