#!/usr/bin/env bash
# Builds the Python virtualenv with pyarrow that the CSV → Parquet benchmark's reference side
# (bench/pyarrow/orders_csv.py) runs in, from the package index pip is configured with on this
# machine. Benchmarks only: the product never depends on pyarrow. Where the venv cannot be built
# it says why and exits 0, and the benchmark skips the pyarrow side.
#
#   bash bench/setup-pyarrow.sh      (venv in bench/.data/pyarrow-venv, which git ignores)
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=bench/.data/pyarrow-venv

if "$VENV/bin/python" -c 'import pyarrow' 2>/dev/null; then
  echo "pyarrow venv ready: $VENV ($("$VENV/bin/python" -c 'import pyarrow; print(pyarrow.__version__)'))"
  exit 0
fi
if ! command -v python3 >/dev/null; then
  echo "skip: no python3 on this machine; the benchmark runs without its pyarrow side"
  exit 0
fi
if ! python3 -m venv "$VENV"; then
  echo "skip: python3 -m venv failed (Debian: apt-get install python3-venv); no pyarrow side"
  rm -rf "$VENV"
  exit 0
fi
if ! "$VENV/bin/pip" install --quiet pyarrow; then
  echo "skip: pyarrow could not be installed from the configured package index (pip config list); no pyarrow side"
  rm -rf "$VENV"
  exit 0
fi
echo "pyarrow venv ready: $VENV ($("$VENV/bin/python" -c 'import pyarrow; print(pyarrow.__version__)'))"
