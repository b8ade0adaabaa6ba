#!/usr/bin/env bash
# Make Debian's `chromium` available for the console's browser test (tests/e2e/run-history.test.ts,
# driven by puppeteer-core: no browser download). Nothing to start; idempotent. Prints its version.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_lock chromium
ensure_packages "chromium" chromium
say "chromium ready: $(chromium --version 2>/dev/null | head -1)"
