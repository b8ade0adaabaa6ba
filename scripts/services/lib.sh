# Shared helpers for the local service scripts (sourced, not executed).
#
# Every service keeps its state under $RUN_DIR (default <repo>/.run, override with DATIVO_RUN_DIR),
# records the pid of each daemon it starts, and is stopped by those pids only: nothing here
# kills processes by name, because other services or other people's processes may share the box.

set -euo pipefail

SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SERVICES_DIR/../.." && pwd)"
RUN_DIR="${DATIVO_RUN_DIR:-$REPO_ROOT/.run}"

# --- timing -----------------------------------------------------------------------------------

_T0="$(date +%s.%N)"

# Seconds since the script started, one decimal.
elapsed() {
  awk -v a="$_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

# Timestamped progress line on stderr, so stdout stays clean for callers that parse it.
say() {
  printf '[%5ss] %s\n' "$(elapsed)" "$*" >&2
}

die() {
  say "ERROR: $*"
  exit 1
}

# --- packages ---------------------------------------------------------------------------------

# ensure_packages "bin1 bin2 ..." pkg1 pkg2 ...
# Installs the Debian packages only when one of the binaries is missing. `apt-get update` is run
# only if the first install attempt fails (stale or empty package lists), since it is slow.
ensure_packages() {
  local bins="$1"
  shift
  local missing=0 b
  for b in $bins; do
    command -v "$b" >/dev/null 2>&1 || missing=1
  done
  [ "$missing" = 0 ] && return 0
  say "installing: $*"
  local apt=(apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$@")
  if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" >"$RUN_DIR/apt.log" 2>&1; then
    say "apt-get install failed; running apt-get update and retrying"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update >>"$RUN_DIR/apt.log" 2>&1 ||
      die "apt-get update failed (see $RUN_DIR/apt.log)"
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" >>"$RUN_DIR/apt.log" 2>&1 ||
      die "apt-get install $* failed (see $RUN_DIR/apt.log)"
  fi
  for b in $bins; do
    command -v "$b" >/dev/null 2>&1 || die "$b still missing after installing $*"
  done
  say "installed: $*"
}

# --- processes --------------------------------------------------------------------------------

# pid_alive FILE: true when FILE holds the pid of a live process.
pid_alive() {
  local f="$1" pid
  [ -s "$f" ] || return 1
  pid="$(cat "$f")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# launch PIDFILE LOGFILE cmd args...: start a daemon in its own session (so a test runner that
# kills its own process group does not take the service down), detached from our stdio (so a
# caller capturing our output is not kept waiting), and record its pid.
# `setsid` does not fork when the caller is not a group leader, so $! is the daemon's own pid.
# fd 9 (the with_lock lock) is closed for the daemon, or it would hold the lock for its lifetime.
launch() {
  local pidfile="$1" logfile="$2"
  shift 2
  setsid "$@" </dev/null >"$logfile" 2>&1 9>&- &
  echo $! >"$pidfile"
}

# stop_pidfile FILE NAME [GRACE_SECONDS]: SIGTERM, wait, then SIGKILL. Removes FILE.
stop_pidfile() {
  local f="$1" name="$2" grace="${3:-5}" pid i
  if ! pid_alive "$f"; then
    rm -f "$f"
    return 0
  fi
  pid="$(cat "$f")"
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 $((grace * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name (pid $pid) still alive after ${grace}s; SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -f "$f"
  say "stopped $name (pid $pid)"
}

# wait_until SECONDS PIDFILE DESCRIPTION cmd args...: poll cmd every 0.2 s. Fails early if the
# daemon in PIDFILE died (so a crashed service is reported at once, not after the timeout).
wait_until() {
  local secs="$1" pidfile="$2" what="$3" i
  shift 3
  for i in $(seq 1 $((secs * 5))); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    if [ -n "$pidfile" ] && ! pid_alive "$pidfile"; then
      return 2
    fi
    sleep 0.2
  done
  return 1
}

# port_in_use PORT: true when something listens on 127.0.0.1:PORT.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# with_lock NAME: serialise concurrent start/stop calls (several test files may start the same
# service at once). The lock is released when the calling script exits.
with_lock() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/$1.lock"
  flock -w 600 9 || die "timed out waiting for $RUN_DIR/$1.lock"
}

# write_env_file FILE: stdin → FILE atomically (readers never see half a file).
write_env_file() {
  local f="$1"
  cat >"$f.tmp.$$"
  mv -f "$f.tmp.$$" "$f"
}
