#!/usr/bin/env bash
# Stop the redis-server started by start-redis.sh (by its recorded pid only). Safe to run when
# nothing is running.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_lock redis
stop_pidfile "$RUN_DIR/redis/redis.pid" redis-server 5
rm -f "$RUN_DIR/redis.env"
rm -rf "$RUN_DIR/redis"
say "redis stopped in $(elapsed)s"
