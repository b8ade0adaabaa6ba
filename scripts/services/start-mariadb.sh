#!/usr/bin/env bash
# Start a throwaway MariaDB on 127.0.0.1:${MYSQL_PORT:-33306} and write $RUN_DIR/mariadb.env
# (MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD, MYSQL_DB). Idempotent.
#
# The datadir is $RUN_DIR/my, owned by mysql; the pid file lives there too because mariadbd (as
# mysql) must be able to write it; a root-owned pid path makes it exit at start.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_lock mariadb

MYSQL_PORT="${MYSQL_PORT:-33306}"
MY_DIR="$RUN_DIR/my"
MY_ENV="$RUN_DIR/mariadb.env"
MY_PID="$RUN_DIR/mariadbd.pid"
MY_USER=dativo
MY_PASSWORD="${MYSQL_TEST_PASSWORD:-dativo}"
MY_DB=dativo

write_my_env() {
  write_env_file "$MY_ENV" <<ENV
MYSQL_HOST=127.0.0.1
MYSQL_PORT=$MYSQL_PORT
MYSQL_USER=$MY_USER
MYSQL_PASSWORD=$MY_PASSWORD
MYSQL_DB=$MY_DB
ENV
}

ready() { mariadb --protocol=socket -S "$MY_DIR/sock" -uroot -e 'select 1' >/dev/null 2>&1; }

if pid_alive "$MY_PID" && ready; then
  [ -s "$MY_ENV" ] || write_my_env
  say "mariadb already running on 127.0.0.1:$MYSQL_PORT"
  exit 0
fi

mkdir -p "$RUN_DIR"
ensure_packages "mariadbd mariadb mariadb-install-db" mariadb-server mariadb-client
stop_pidfile "$MY_PID" mariadbd 10
port_in_use "$MYSQL_PORT" && die "127.0.0.1:$MYSQL_PORT is in use by another process (set MYSQL_PORT)"

d="$RUN_DIR"
while [ "$d" != / ]; do
  [ -x "$d" ] || chmod o+x "$d" 2>/dev/null || true
  d="$(dirname "$d")"
done

if [ ! -d "$MY_DIR/mysql" ]; then
  rm -rf "$MY_DIR"
  install -d -o mysql "$MY_DIR"
  mariadb-install-db --user=mysql --datadir="$MY_DIR" --auth-root-authentication-method=socket \
    --skip-test-db >"$RUN_DIR/mariadb-install.log" 2>&1 || die "mariadb-install-db failed (see $RUN_DIR/mariadb-install.log)"
fi

launch "$MY_PID" "$RUN_DIR/mariadbd.log" mariadbd --no-defaults --user=mysql --datadir="$MY_DIR" \
  --socket="$MY_DIR/sock" --port="$MYSQL_PORT" --bind-address=127.0.0.1 --pid-file="$MY_DIR/mariadbd.pid" \
  --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=512M --max-allowed-packet=64M \
  --log-bin="$MY_DIR/binlog" --binlog-format=ROW --server-id=1
wait_until 60 "$MY_PID" mariadbd ready || die "mariadbd did not come up (see $RUN_DIR/mariadbd.log)"

mariadb --protocol=socket -S "$MY_DIR/sock" -uroot <<SQL || die "could not create the test user"
CREATE DATABASE IF NOT EXISTS $MY_DB;
CREATE USER IF NOT EXISTS '$MY_USER'@'127.0.0.1' IDENTIFIED BY '$MY_PASSWORD';
CREATE USER IF NOT EXISTS '$MY_USER'@'localhost' IDENTIFIED BY '$MY_PASSWORD';
GRANT ALL ON *.* TO '$MY_USER'@'127.0.0.1';
GRANT ALL ON *.* TO '$MY_USER'@'localhost';
SQL
write_my_env
say "mariadb ready on 127.0.0.1:$MYSQL_PORT in $(elapsed)s, env in $MY_ENV"
