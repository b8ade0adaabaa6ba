#!/usr/bin/env bash
# Stop the throwaway Ceph started by start-radosgw.sh, by recorded pid only. All objects are lost
# (memstore). Safe to run when nothing is running.
#
# Env: KEEP_CEPH_DIR=1 keeps $RUN_DIR/ceph (logs) instead of deleting it.

source "$(dirname "${BASH_SOURCE[0]}")/radosgw-lib.sh"

with_lock radosgw

stop_pidfile "$CEPH_DIR/rgw.pid" radosgw 5
# The memstore OSD has been seen to linger on SIGTERM; it holds nothing on disk, so 3 s is plenty.
stop_pidfile "$CEPH_DIR/osd.pid" ceph-osd 3
stop_pidfile "$CEPH_DIR/mon.pid" ceph-mon 5
rm -f "$RADOSGW_ENV"
if [ "${KEEP_CEPH_DIR:-0}" != 1 ]; then
  rm -rf "$CEPH_DIR"
fi
say "radosgw stopped in $(elapsed)s"
