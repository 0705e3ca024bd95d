#!/bin/bash
# Smoke run of examples/maml_omniglot with tiny sizes: it must finish, write the plot and the log
# with one row per meta-step and per evaluation, and fail clearly on an unavailable device, a
# missing omniglot.npy or a bad flag.
# Usage: maml_smoke.sh MAML_OMNIGLOT_BINARY SCRATCH_DIR
source "$(dirname "${BASH_SOURCE[0]}")/smoke_setup.sh" || exit 1

"$bin" --n_way 3 --k_spt 1 --k_qry 2 --task_num 2 --epochs 1 --steps 2 --test_steps 1 \
  --threads 1 --out "$out/run" > "$out/run.log" 2>&1 || { cat "$out/run.log"; fail "the run failed"; }
cat "$out/run.log"
grep -q "final held-out accuracy" "$out/run.log" || fail "no final accuracy line"
[ -s "$out/run/maml-accs.svg" ] || fail "maml-accs.svg missing"
tail -n 1 "$out/run/maml-accs.svg" | grep -q "</svg>" || fail "maml-accs.svg is not a complete SVG"
# Header, evaluations before and after the epoch, two meta-steps.
[ "$(wc -l < "$out/run/maml-log.csv")" -eq 5 ] || fail "maml-log.csv should have 5 lines"
[ "$(grep -c ",test," "$out/run/maml-log.csv")" -eq 2 ] || fail "expected 2 test rows"
[ "$(grep -c ",train," "$out/run/maml-log.csv")" -eq 2 ] || fail "expected 2 train rows"

# Without a CUDA device, --device cuda must fail with a message that says so.
check_device_flag --n_way 2 --k_spt 1 --k_qry 1 --task_num 1 --epochs 1 --steps 1 --test_steps 1 \
  --threads 1 --out "$out/cuda"

if "$bin" --data omniglot --root "$out/nowhere" --out "$out/npy" > "$out/npy.log" 2>&1; then
  fail "--data omniglot without omniglot.npy succeeded"
fi
grep -q "omniglot.npy' not found" "$out/npy.log" && grep -q "float64 \[1623, 20, 1, 28, 28\]" \
  "$out/npy.log" || { cat "$out/npy.log"; fail "--data omniglot: no clear error"; }

if "$bin" --n_way 1 > "$out/args.log" 2>&1; then fail "--n_way 1 accepted"; fi
grep -q "n_way expects an integer >= 2" "$out/args.log" || fail "bad --n_way: no clear error"
echo "maml_omniglot smoke run passed"
