#!/usr/bin/env bash
# Stop the throwaway cluster started by start-postgres.sh (pg_ctl on its own data dir only) and
# delete it. Safe to run when nothing is running. KEEP_PG_DIR=1 keeps the data dir.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_lock postgres
PG_DIR="$RUN_DIR/pg"
if [ -s "$PG_DIR/postmaster.pid" ]; then
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { runuser -u postgres -- "$d/pg_ctl" -D "$PG_DIR" -m fast -w stop >/dev/null 2>&1 9>&- || true; break; }
  done
fi
rm -f "$RUN_DIR/postgres.env"
[ "${KEEP_PG_DIR:-0}" = 1 ] || rm -rf "$PG_DIR"
say "postgres stopped in $(elapsed)s"
