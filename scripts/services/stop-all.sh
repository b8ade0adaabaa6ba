#!/usr/bin/env bash
# Stop what start-all.sh started (by recorded pid only).
set -uo pipefail
cd "$(dirname "$0")"
bash stop-radosgw.sh
bash stop-postgres.sh
bash stop-mariadb.sh
bash stop-redis.sh
bash stop-registry.sh
bash stop-docker.sh
