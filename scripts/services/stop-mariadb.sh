#!/usr/bin/env bash
# Stop the throwaway MariaDB started by start-mariadb.sh, by recorded pid only, and delete its
# datadir. Safe to run when nothing is running. KEEP_MY_DIR=1 keeps the datadir.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_lock mariadb
stop_pidfile "$RUN_DIR/mariadbd.pid" mariadbd 20
rm -f "$RUN_DIR/mariadb.env"
[ "${KEEP_MY_DIR:-0}" = 1 ] || rm -rf "$RUN_DIR/my"
say "mariadb stopped in $(elapsed)s"
