#!/usr/bin/env bash
# Start a throwaway redis-server on 127.0.0.1:${REDIS_PORT:-56379} (not the default port, so it never
# collides with a Redis someone already runs) and write $RUN_DIR/redis.env (REDIS_URL, REDIS_PORT).
# No persistence (no RDB, no AOF): queued test runs live only as long as the process.
# Idempotent: returns at once when it is already up. Stop it with stop-redis.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_lock redis

REDIS_PORT="${REDIS_PORT:-56379}"
REDIS_DIR="$RUN_DIR/redis"
REDIS_ENV="$RUN_DIR/redis.env"
REDIS_PID="$REDIS_DIR/redis.pid"

write_redis_env() {
  write_env_file "$REDIS_ENV" <<ENV
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
REDIS_PORT=$REDIS_PORT
ENV
}

ready() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

mkdir -p "$REDIS_DIR"
ensure_packages "redis-server redis-cli" redis-server redis-tools

if pid_alive "$REDIS_PID" && ready; then
  [ -s "$REDIS_ENV" ] || write_redis_env
  say "redis already running on 127.0.0.1:$REDIS_PORT"
  exit 0
fi
stop_pidfile "$REDIS_PID" redis-server 3
port_in_use "$REDIS_PORT" && die "127.0.0.1:$REDIS_PORT is in use by another process (set REDIS_PORT)"

# --daemonize no: launch() backgrounds it and records its own pid. BullMQ requires
# maxmemory-policy noeviction (an evicted job key would silently lose a run).
launch "$REDIS_PID" "$REDIS_DIR/redis.log" redis-server \
  --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize no \
  --save '' --appendonly no --dir "$REDIS_DIR" \
  --maxmemory-policy noeviction --protected-mode yes
if ! wait_until 30 "$REDIS_PID" "redis" ready; then
  die "redis-server did not come up (see $REDIS_DIR/redis.log)"
fi
write_redis_env
say "redis ready on 127.0.0.1:$REDIS_PORT in $(elapsed)s, env in $REDIS_ENV"
