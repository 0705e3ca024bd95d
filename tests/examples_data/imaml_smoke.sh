#!/bin/bash
# Smoke run of examples/imaml_omniglot with tiny sizes: it must finish, write the plot and the log
# with one row per meta-step and per evaluation, learn (the mean query loss of the last meta-steps
# is below that of the first ones), and fail clearly on an unavailable device, a missing
# omniglot.npy or a bad flag.
# Usage: imaml_smoke.sh IMAML_OMNIGLOT_BINARY SCRATCH_DIR
source "$(dirname "${BASH_SOURCE[0]}")/smoke_setup.sh" || exit 1

"$bin" --n_way 3 --k_spt 1 --k_qry 2 --task_num 2 --epochs 1 --steps 2 --test_steps 1 \
  --inner_steps 2 --cg_iters 2 --threads 1 --out "$out/run" > "$out/run.log" 2>&1 ||
  { cat "$out/run.log"; fail "the run failed"; }
cat "$out/run.log"
grep -q "final held-out accuracy" "$out/run.log" || fail "no final accuracy line"
grep -q "2 inner SGD steps, λ = 2, 2 CG iterations" "$out/run.log" || fail "no settings line"
[ -s "$out/run/imaml-accs.svg" ] || fail "imaml-accs.svg missing"
tail -n 1 "$out/run/imaml-accs.svg" | grep -q "</svg>" || fail "imaml-accs.svg is not a complete SVG"
grep -q "iMAML Hershey glyphs (3-way 1-shot)" "$out/run/imaml-accs.svg" || fail "no plot title"
# Header, evaluations before and after the epoch, two meta-steps.
[ "$(wc -l < "$out/run/imaml-log.csv")" -eq 5 ] || fail "imaml-log.csv should have 5 lines"
[ "$(grep -c ",test," "$out/run/imaml-log.csv")" -eq 2 ] || fail "expected 2 test rows"
[ "$(grep -c ",train," "$out/run/imaml-log.csv")" -eq 2 ] || fail "expected 2 train rows"

# Learning: 2-way tasks, 40 meta-steps; the implicit meta-gradient must lower the query loss.
"$bin" --n_way 2 --k_spt 1 --k_qry 5 --task_num 2 --epochs 1 --steps 40 --test_steps 1 \
  --threads 1 --out "$out/learn" > "$out/learn.log" 2>&1 ||
  { cat "$out/learn.log"; fail "the learning run failed"; }
awk -F, '$2 == "train" { n++; if (n <= 10) a += $3; if (n > 30) b += $3 }
  END { printf "query loss: first 10 meta-steps %.3f, last 10 %.3f\n", a / 10, b / 10;
        exit !(b < a) }' "$out/run/../learn/imaml-log.csv" || fail "the query loss did not decrease"

# Without the CUDA backend, --device cuda must fail with a message that says so.
tiny=(--n_way 2 --k_spt 1 --k_qry 1 --task_num 1 --epochs 1 --steps 1 --test_steps 1 --threads 1)
if ! "$bin" "${tiny[@]}" --device cuda --out "$out/cuda" > "$out/cuda.log" 2>&1; then
  grep -q "built without the CUDA backend" "$out/cuda.log" ||
    { cat "$out/cuda.log"; fail "--device cuda: no clear error"; }
fi

if "$bin" --data omniglot --root "$out/nowhere" --out "$out/npy" > "$out/npy.log" 2>&1; then
  fail "--data omniglot without omniglot.npy succeeded"
fi
grep -q "omniglot.npy' not found" "$out/npy.log" ||
  { cat "$out/npy.log"; fail "--data omniglot: no clear error"; }

if "$bin" --reg_params 0 > "$out/args.log" 2>&1; then fail "--reg_params 0 accepted"; fi
grep -q "reg_params expects a finite number > 0, got '0'" "$out/args.log" ||
  { cat "$out/args.log"; fail "bad --reg_params: no clear error"; }
if "$bin" --cg_iters 0 > "$out/cg.log" 2>&1; then fail "--cg_iters 0 accepted"; fi
grep -q "cg_iters expects an integer >= 1, got '0'" "$out/cg.log" ||
  { cat "$out/cg.log"; fail "bad --cg_iters: no clear error"; }
echo "imaml_omniglot smoke run passed"
