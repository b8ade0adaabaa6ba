#!/usr/bin/env bash
# Set up and run the quickstart job on local files (no services).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/cli/main.js ] || npm run --silent build
node bin/dativo.js run --config examples/quickstart/job.yaml "$@"
