#!/usr/bin/env bash
# Start every service the test suite needs and build what the tests run (each script installs its
# packages when missing and is idempotent). Called in the background by scripts/test-all.sh while
# npm installs. The lanes run in parallel; the exit status is non-zero when any of them failed.
#   databases and S3: radosgw, PostgreSQL, MariaDB; queue: Redis; plugin marketplace: docker-registry
#   containers: dockerd, then the test connector images (Airbyte on busybox, the Singer tap on a
#               debootstrap Python rootfs); sandbox: bubblewrap; Iceberg verifiers: avrocat, python3-avro
set -uo pipefail
cd "$(dirname "$0")"
containers() {
  bash start-docker.sh && bash ../build-test-connectors.sh >/dev/null && bash ../build-singer-image.sh >/dev/null
}
pids=()
names=()
for s in radosgw postgres mariadb redis registry bwrap avro; do
  bash "start-$s.sh" &
  pids+=($!)
  names+=("$s")
done
containers &
pids+=($!)
names+=("docker + test images")
status=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "start-all: ${names[$i]} failed to start" >&2
    status=1
  fi
done
exit "$status"
