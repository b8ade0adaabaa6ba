#!/usr/bin/env bash
# Start a throwaway single-node Ceph (mon + memstore OSD + radosgw) on 127.0.0.1 and write
# $RUN_DIR/radosgw.env. Idempotent: if it is already running this returns in well under a second.
#
# Env: DATIVO_RUN_DIR (default <repo>/.run), RGW_PORT (7480), CEPH_MON_PORT (3300),
#      S3_ACCESS_KEY (DATIVOTEST), S3_SECRET_KEY (dativotestsecret).
# The data lives in the OSD's RAM: it survives restart-rgw.sh, not stop-radosgw.sh.

source "$(dirname "${BASH_SOURCE[0]}")/radosgw-lib.sh"

with_lock radosgw

# Already up: nothing to do but make sure the env file is there.
if pid_alive "$CEPH_DIR/rgw.pid" && rgw_answers; then
  [ -s "$RADOSGW_ENV" ] || write_radosgw_env
  say "radosgw already running on 127.0.0.1:$(rgw_port)"
  exit 0
fi

# Cluster alive but the gateway is gone (crashed, or killed by a test): restart only the
# gateway, which keeps the objects held by the OSD.
if pid_alive "$CEPH_DIR/mon.pid" && pid_alive "$CEPH_DIR/osd.pid" && [ -s "$CEPH_CONF" ]; then
  say "mon and osd alive; restarting radosgw only"
  stop_pidfile "$CEPH_DIR/rgw.pid" radosgw 5
  rgw_launch
  ensure_rgw_user
  write_radosgw_env
  say "ready in $(elapsed)s"
  exit 0
fi

# Anything left half-running from an earlier attempt goes first.
stop_pidfile "$CEPH_DIR/rgw.pid" radosgw 5
stop_pidfile "$CEPH_DIR/osd.pid" ceph-osd 3
stop_pidfile "$CEPH_DIR/mon.pid" ceph-mon 5

mkdir -p "$RUN_DIR"
ensure_packages "ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph uuidgen curl" \
  ceph-mon ceph-osd radosgw uuid-runtime curl

RGW_PORT="${RGW_PORT:-7480}"
MON_PORT="${CEPH_MON_PORT:-3300}"
port_in_use "$RGW_PORT" && die "127.0.0.1:$RGW_PORT is in use by another process (set RGW_PORT)"
port_in_use "$MON_PORT" && die "127.0.0.1:$MON_PORT is in use by another process (set CEPH_MON_PORT)"

rm -rf "$CEPH_DIR"
mkdir -p "$CEPH_DIR"/{run,log,mon.a,osd.0,rgw}
echo "$RGW_PORT" >"$CEPH_DIR/rgw.port"
FSID="$(uuidgen)"

# Notes on the non-obvious settings:
# - auth none everywhere: a loopback test cluster, no keyrings to manage.
# - "ms mon client mode = crc secure" for rgw: without it rgw insists on a secure mon session,
#   which auth none cannot give, and it retries forever without ever listening.
# - memstore: the OSD keeps objects in RAM (capped at 4 GiB), so no disk setup and fast tests.
# - size 1 / chooseleaf 0: one OSD on one host must be enough for every pool to go active.
cat >"$CEPH_CONF" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
mon max pg per osd = 1000
run dir = $CEPH_DIR/run
admin socket = $CEPH_DIR/run/\$name.asok
log file = $CEPH_DIR/log/\$name.log
pid file = $CEPH_DIR/run/\$name.pid
mon data = $CEPH_DIR/mon.\$id
osd data = $CEPH_DIR/osd.\$id
osd objectstore = memstore
memstore device bytes = 4294967296
[client.rgw.a]
ms mon client mode = crc secure
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $CEPH_DIR/rgw
CONF

ceph_cli() { timeout 20 ceph --connect-timeout 5 "$@"; }

monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$CEPH_DIR/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$CEPH_DIR/monmap" >"$CEPH_DIR/log/mon-mkfs.stdout" 2>&1 ||
  die "ceph-mon --mkfs failed (see $CEPH_DIR/log/mon-mkfs.stdout)"
launch "$CEPH_DIR/mon.pid" "$CEPH_DIR/log/mon.stdout" ceph-mon -i a -f
wait_until 30 "$CEPH_DIR/mon.pid" ceph-mon ceph_cli mon stat ||
  die "ceph-mon did not come up (logs in $CEPH_DIR/log)"
say "mon up (pid $(cat "$CEPH_DIR/mon.pid"))"

OSD_UUID="$(uuidgen)"
OSD_ID="$(ceph_cli osd new "$OSD_UUID")"
[ "$OSD_ID" = 0 ] || die "expected osd id 0, got '$OSD_ID'"
ceph-osd -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >"$CEPH_DIR/log/osd-mkfs.stdout" 2>&1 ||
  die "ceph-osd --mkfs failed (see $CEPH_DIR/log/osd-mkfs.stdout)"
launch "$CEPH_DIR/osd.pid" "$CEPH_DIR/log/osd.stdout" ceph-osd -i "$OSD_ID" -f
osd_up() { ceph_cli osd stat 2>/dev/null | grep -q '1 up'; }
wait_until 60 "$CEPH_DIR/osd.pid" ceph-osd osd_up || die "ceph-osd did not come up (logs in $CEPH_DIR/log)"
say "osd up (pid $(cat "$CEPH_DIR/osd.pid"))"

rgw_launch
ensure_rgw_user
write_radosgw_env
say "ready in $(elapsed)s: S3_ENDPOINT=http://127.0.0.1:$RGW_PORT, env in $RADOSGW_ENV"
