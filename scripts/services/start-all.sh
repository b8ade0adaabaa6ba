#!/usr/bin/env bash
# Start every service the test suite needs (each script installs its packages when missing and is
# idempotent). Called in the background by scripts/test-all.sh while npm installs.
set -euo pipefail
cd "$(dirname "$0")"
bash start-radosgw.sh
