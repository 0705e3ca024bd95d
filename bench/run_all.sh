#!/usr/bin/env bash
# `make bench`: runs the engine benchmark and, when Debian's PyTorch is installed, puts it next to
# PyTorch's with the ratio metagrad/PyTorch per workload (bench/compare_pytorch.py).
# Usage: bench/run_all.sh [BINARY] [compare_pytorch.py options]
# Env: BENCH_THREADS (2), BENCH_ROUNDS (3: alternating rounds of both sides, medians over them),
# and the other BENCH_* variables of bench/engine_overhead.cpp.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="$root/build/bench/engine_overhead"
if [[ $# -gt 0 && "$1" != -* ]]; then
  binary="$1"
  shift
fi
export BENCH_THREADS="${BENCH_THREADS:-2}"

if [[ ! -x "$binary" ]]; then
  echo "run_all.sh: $binary not found; build it first (make build)" >&2
  exit 1
fi

if /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  /usr/bin/python3 "$root/bench/compare_pytorch.py" "$binary" --threads "$BENCH_THREADS" \
    --rounds "${BENCH_ROUNDS:-3}" "$@"
else
  echo "note: PyTorch is not installed for /usr/bin/python3, so there is no comparison;"
  echo "      install it with: apt-get install python3-torch libopenblas0-openmp"
  echo "metagrad engine benchmark, $BENCH_THREADS thread(s):"
  "$binary"
fi

# The convolutional-network benchmark (issue 3): bench/convnet next to bench/convnet.py, built
# beside the engine benchmark.
convnet="$(dirname "$binary")/convnet"
if [[ ! -x "$convnet" ]]; then
  echo "run_all.sh: $convnet not found; build it first (make build)" >&2
  exit 1
fi
if /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  /usr/bin/python3 "$root/bench/compare_pytorch.py" "$convnet" --threads "$BENCH_THREADS" \
    --rounds "${BENCH_ROUNDS:-3}" "$@"
else
  echo "metagrad convnet benchmark, $BENCH_THREADS thread(s):"
  "$convnet"
fi
