#!/usr/bin/env bash
# Install the independent Avro readers the Iceberg tests decode manifests with: Debian's avro-c
# `avrocat` (avro-bin) and Apache Avro for Python (python3-avro). No daemon; idempotent.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_lock avro

ensure_packages "avrocat" avro-bin
if ! /usr/bin/python3 -c 'import avro.datafile' >/dev/null 2>&1; then
  say "installing: python3-avro"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends python3-avro \
    >>"$RUN_DIR/apt.log" 2>&1 || {
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update >>"$RUN_DIR/apt.log" 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends python3-avro \
      >>"$RUN_DIR/apt.log" 2>&1 || die "apt-get install python3-avro failed (see $RUN_DIR/apt.log)"
  }
fi
say "avro readers ready: $(command -v avrocat), python3-avro"
