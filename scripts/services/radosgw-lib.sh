# Pieces shared by start-radosgw.sh, restart-rgw.sh and stop-radosgw.sh (sourced).
# A throwaway single-node Ceph: one mon, one memstore OSD (all data in RAM), one radosgw, all on
# loopback, no systemd, no cephx. See shared notes "services.md" §2a for the measurements.

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CEPH_DIR="$RUN_DIR/ceph"
RADOSGW_ENV="$RUN_DIR/radosgw.env"
export CEPH_CONF="$CEPH_DIR/ceph.conf"

S3_ACCESS_KEY="${S3_ACCESS_KEY:-${DATIVO_S3_ACCESS_KEY:-DATIVOTEST}}"
S3_SECRET_KEY="${S3_SECRET_KEY:-${DATIVO_S3_SECRET_KEY:-dativotestsecret}}"
S3_USER="${S3_USER:-dativo}"

# The port the running (or last) rgw was configured with; falls back to $RGW_PORT / 7480.
rgw_port() {
  if [ -s "$CEPH_DIR/rgw.port" ]; then cat "$CEPH_DIR/rgw.port"; else echo "${RGW_PORT:-7480}"; fi
}

# Any HTTP answer means the beast frontend is up (anonymous GET / returns a bucket list or 403).
rgw_answers() {
  curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$(rgw_port)/"
}

# Starts radosgw with the config in $CEPH_CONF and waits until it answers HTTP.
# The first start after a fresh cluster takes ~9 s: rgw creates its pools before it listens.
rgw_launch() {
  launch "$CEPH_DIR/rgw.pid" "$CEPH_DIR/log/rgw.stdout" radosgw -n client.rgw.a -f
  local rc=0
  wait_until 120 "$CEPH_DIR/rgw.pid" "radosgw" rgw_answers || rc=$?
  if [ "$rc" = 2 ]; then
    tail -n 20 "$CEPH_DIR/log/rgw.stdout" "$CEPH_DIR/log/client.rgw.a.log" 2>/dev/null >&2 || true
    die "radosgw exited during start (logs in $CEPH_DIR/log)"
  elif [ "$rc" != 0 ]; then
    tail -n 20 "$CEPH_DIR/log/client.rgw.a.log" 2>/dev/null >&2 || true
    die "radosgw did not answer on 127.0.0.1:$(rgw_port) within 120 s (logs in $CEPH_DIR/log)"
  fi
  say "radosgw listening on 127.0.0.1:$(rgw_port) (pid $(cat "$CEPH_DIR/rgw.pid"))"
}

# Writes the env file tests and users source/dotenv-load. MINIO_* mirror the same server for code
# written against MinIO-style settings (endpoint without scheme).
write_radosgw_env() {
  local port
  port="$(rgw_port)"
  write_env_file "$RADOSGW_ENV" <<ENV
# written by scripts/services/start-radosgw.sh; throwaway local credentials
S3_ENDPOINT=http://127.0.0.1:$port
AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
AWS_REGION=us-east-1
MINIO_ENDPOINT=127.0.0.1:$port
MINIO_ACCESS_KEY=$S3_ACCESS_KEY
MINIO_SECRET_KEY=$S3_SECRET_KEY
ENV
}

# Creates the S3 user, or adds the key pair to it if the user exists with other keys.
ensure_rgw_user() {
  local info
  if info="$(radosgw-admin user info --uid="$S3_USER" 2>/dev/null)"; then
    if ! grep -q "\"access_key\": \"$S3_ACCESS_KEY\"" <<<"$info"; then
      radosgw-admin key create --uid="$S3_USER" --key-type=s3 \
        --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >/dev/null
    fi
  else
    radosgw-admin user create --uid="$S3_USER" --display-name="Dativo tests" \
      --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >/dev/null
  fi
}
