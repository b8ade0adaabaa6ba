#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 cluster on 127.0.0.1:${PGPORT:-55432} and write $RUN_DIR/postgres.env
# (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE). Idempotent: returns at once when it is up.
#
# The cluster lives in $RUN_DIR/pg (owned by postgres: initdb refuses to run as root) with fsync off,
# since it is test data. wal_level=logical for the change data capture tests (tests/integration/cdc).
# Stop it with stop-postgres.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_lock postgres

PGPORT="${PGPORT:-55432}"
PG_DIR="$RUN_DIR/pg"
PG_ENV="$RUN_DIR/postgres.env"
PG_PASSWORD="${PG_PASSWORD:-dativo}"

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

write_pg_env() {
  write_env_file "$PG_ENV" <<ENV
PGHOST=127.0.0.1
PGPORT=$PGPORT
PGUSER=postgres
PGPASSWORD=$PG_PASSWORD
PGDATABASE=postgres
ENV
}

ready() { PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; }

wal_level() { PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -Atqc 'show wal_level' 2>/dev/null; }

if [ -s "$PG_DIR/postmaster.pid" ] && ready; then
  if [ "$(wal_level)" = logical ]; then
    [ -s "$PG_ENV" ] || write_pg_env
    say "postgres already running on 127.0.0.1:$PGPORT"
    exit 0
  fi
  # Started by an older version of this script: the CDC tests need logical decoding.
  say "postgres on 127.0.0.1:$PGPORT has wal_level=$(wal_level); restarting it with wal_level=logical"
  runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$PG_DIR" -m fast -w stop >/dev/null 9>&- ||
    die "could not stop the running postgres"
fi

mkdir -p "$RUN_DIR"
pg_bin >/dev/null 2>&1 || ensure_packages "psql" postgresql
command -v psql >/dev/null 2>&1 || ensure_packages "psql" postgresql-client
BIN="$(pg_bin)" || die "no PostgreSQL server binaries under /usr/lib/postgresql"

# The postgres user must be able to reach its data dir: make every parent traversable.
d="$RUN_DIR"
while [ "$d" != / ]; do
  [ -x "$d" ] || chmod o+x "$d" 2>/dev/null || true
  d="$(dirname "$d")"
done

if [ -s "$PG_DIR/postmaster.pid" ]; then
  # A stale cluster from a killed run: try a clean stop first, then start over.
  runuser -u postgres -- "$BIN/pg_ctl" -D "$PG_DIR" -m immediate stop >/dev/null 2>&1 9>&- || true
fi
port_in_use "$PGPORT" && die "127.0.0.1:$PGPORT is in use by another process (set PGPORT)"

if [ ! -s "$PG_DIR/PG_VERSION" ]; then
  rm -rf "$PG_DIR"
  install -d -o postgres -m 0700 "$PG_DIR"
  runuser -u postgres -- "$BIN/initdb" -D "$PG_DIR" -A trust -U postgres --no-sync >"$RUN_DIR/pg-initdb.log" 2>&1 ||
    die "initdb failed (see $RUN_DIR/pg-initdb.log)"
  # Password auth over TCP so the tests exercise credentials; the socket stays trust for setup.
  cat >"$PG_DIR/pg_hba.conf" <<HBA
local all all trust
host  all all 127.0.0.1/32 scram-sha-256
HBA
  chown postgres "$PG_DIR/pg_hba.conf"
fi

runuser -u postgres -- "$BIN/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/log" -w -t 60 \
  -o "-p $PGPORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=4GB -c shared_buffers=256MB -c wal_level=logical -c max_replication_slots=20 -c max_wal_senders=20" \
  start >/dev/null 9>&- || die "pg_ctl start failed (see $PG_DIR/log)"
runuser -u postgres -- psql -h "$PG_DIR" -p "$PGPORT" -U postgres -d postgres -Atqc \
  "ALTER USER postgres PASSWORD '$PG_PASSWORD'" >/dev/null || die "could not set the postgres password"
write_pg_env
say "postgres ready on 127.0.0.1:$PGPORT in $(elapsed)s, env in $PG_ENV"
