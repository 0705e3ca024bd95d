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

# The optimizer-step benchmark (issue 4): bench/optim_step next to bench/optim_step.py, then each
# side's bandwidth (28 bytes per parameter element) against its own copy bandwidth (target for
# the fused step: at least 70 % of it).
optim_step="$(dirname "$binary")/optim_step"
if [[ ! -x "$optim_step" ]]; then
  echo "run_all.sh: $optim_step not found; build it first (make build)" >&2
  exit 1
fi
if /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  saved="$(mktemp)"
  trap 'rm -f "$saved"' EXIT
  /usr/bin/python3 "$root/bench/compare_pytorch.py" "$optim_step" --threads "$BENCH_THREADS" \
    --rounds "${BENCH_ROUNDS:-3}" --save "$saved" "$@"
  /usr/bin/python3 - "$saved" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if 'fraction_of_copy' in r:
        rows.setdefault((r['impl'], r['workload'], r['variant']), []).append(r)
print('optimizer step bandwidth (adam_step*: 28 bytes/element, adam_transform: 24; copy: 8 '
      'bytes/element, best copy of each run; medians over rounds):')
for (impl, workload, variant), recs in sorted(rows.items()):
    med = lambda k: statistics.median(x[k] for x in recs)
    print(f'  {impl:8s} {workload:18s} {med("gb_per_s"):7.2f} GB/s  '
          f'copy {med("copy_gb_per_s"):7.2f} GB/s  '
          f'fraction {med("fraction_of_copy"):.3f}  ({variant})')
PY
else
  echo "metagrad optimizer-step benchmark, $BENCH_THREADS thread(s):"
  "$optim_step"
fi

# The MAML meta-training step benchmark (issues 4 and 5): bench/maml_omniglot next to
# bench/maml_omniglot.py, 4 and 32 tasks, each workload in its own process (so each peak RSS is its
# own), with both sides' peak RSS and first meta-loss under the table.
maml_omniglot="$(dirname "$binary")/maml_omniglot"
if [[ ! -x "$maml_omniglot" ]]; then
  echo "run_all.sh: $maml_omniglot not found; build it first (make build)" >&2
  exit 1
fi
if /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  /usr/bin/python3 "$root/bench/compare_pytorch.py" "$maml_omniglot" --threads "$BENCH_THREADS" \
    --rounds "${BENCH_ROUNDS:-3}" "$@"
else
  echo "metagrad MAML meta-step benchmark, $BENCH_THREADS thread(s):"
  for workload in maml_step_4tasks maml_step_32tasks; do
    BENCH_WORKLOADS="$workload" "$maml_omniglot"
  done
fi

# The implicit-differentiation benchmark (issue 11): bench/implicit next to bench/implicit.py
# (PyTorch + TorchOpt, installed by ../shared/peers/setup_peers.sh into /tmp/peers-src); the table
# is followed by both sides' hypergradients and metagrad's custom_root / analytic time ratios.
implicit="$(dirname "$binary")/implicit"
if [[ ! -x "$implicit" ]]; then
  echo "run_all.sh: $implicit not found; build it first (make build)" >&2
  exit 1
fi
peers="${PEERS_SRC:-/tmp/peers-src}"
if PYTHONPATH="$peers/optree:$peers/torchopt" /usr/bin/python3 -c 'import torch, torchopt' \
  >/dev/null 2>&1; then
  /usr/bin/python3 "$root/bench/compare_pytorch.py" "$implicit" --threads "$BENCH_THREADS" \
    --rounds "${BENCH_ROUNDS:-3}" "$@"
else
  echo "note: TorchOpt is not installed (../shared/peers/setup_peers.sh), so there is no comparison"
  echo "metagrad implicit-differentiation benchmark, $BENCH_THREADS thread(s):"
  "$implicit"
fi
