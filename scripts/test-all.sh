#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what the tests need, starts the services in
# the background while npm installs, builds, then runs every vitest project. Prints each phase's
# wall time. Used by `npm test` (the README's test command) and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export DATIVO_RUN_DIR="${DATIVO_RUN_DIR:-$ROOT/.run}"
mkdir -p "$DATIVO_RUN_DIR"

declare -a SUMMARY=()
phase() {
  local name=$1; shift
  local t0=$SECONDS
  echo "=== phase: $name"
  "$@"
  local dt=$((SECONDS - t0))
  SUMMARY+=("$(printf '%-28s %5ss' "$name" "$dt")")
  echo "=== phase: $name done in ${dt}s"
}

# Services start in the background (apt install included) while npm installs.
services_bg() {
  bash scripts/services/start-all.sh >"$DATIVO_RUN_DIR/services.log" 2>&1 &
  echo $! >"$DATIVO_RUN_DIR/services.pid"
}
services_wait() {
  local pid; pid=$(cat "$DATIVO_RUN_DIR/services.pid")
  if ! wait "$pid"; then
    echo "services failed to start:"; tail -50 "$DATIVO_RUN_DIR/services.log"; return 1
  fi
  cat "$DATIVO_RUN_DIR/services.log"
}

# The Rust plugin workspace (toolchain install + std build once) builds in the background too.
rust_bg() {
  bash scripts/build-rust-plugins.sh >"$DATIVO_RUN_DIR/rust-build.log" 2>&1 &
  echo $! >"$DATIVO_RUN_DIR/rust-build.pid"
}
rust_wait() {
  local pid; pid=$(cat "$DATIVO_RUN_DIR/rust-build.pid")
  if ! wait "$pid"; then
    echo "Rust plugin build failed:"; tail -50 "$DATIVO_RUN_DIR/rust-build.log"; return 1
  fi
  tail -3 "$DATIVO_RUN_DIR/rust-build.log"
}

npm_install() {
  if [ -d node_modules ] && [ -z "${CI:-}" ]; then npm install --no-audit --no-fund; else npm ci --no-audit --no-fund; fi
}

run_project() {
  npx vitest run --project "$1" --reporter=default --reporter=json --outputFile="$DATIVO_RUN_DIR/vitest-$1.json"
}

# One closing line over every project, in the plain form CI reads: "tests: N passed, N failed".
count_tests() {
  node -e '
    const fs = require("fs");
    let passed = 0, failed = 0, skipped = 0;
    for (const f of process.argv.slice(1)) {
      if (!fs.existsSync(f)) continue;
      const r = JSON.parse(fs.readFileSync(f, "utf8"));
      passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
    }
    console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  ' "$DATIVO_RUN_DIR"/vitest-{unit,e2e,security,integration}.json
}

# Services started here are stopped when the suite ends, whatever its outcome.
trap 'bash scripts/services/stop-all.sh >/dev/null 2>&1 || true' EXIT
phase "services (start, background)" services_bg
phase "rust plugins (build, background)" rust_bg
phase "npm ci + build" npm_install
phase "typecheck" npm run --silent typecheck
phase "lint" npm run --silent lint
phase "long functions" npm run --silent long-functions
phase "dependency layers" npm run --silent deps
phase "wit" npm run --silent wit:check
phase "unit tests" run_project unit
phase "rust plugins (wait)" rust_wait
phase "services (wait)" services_wait
phase "e2e tests" run_project e2e
phase "security tests" run_project security
phase "integration tests" run_project integration

echo
echo "=== wall time per phase"
printf '%s\n' "${SUMMARY[@]}"
echo "total ${SECONDS}s"
count_tests
