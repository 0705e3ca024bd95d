#!/bin/bash
# Smoke run of examples/imaml_omniglot with tiny sizes: it must finish, write the plot and the log
# with one row per meta-step and per evaluation, keep every loss finite and the held-out accuracy
# above chance, and fail clearly on an unavailable or unknown device, a missing omniglot.npy or a bad flag.
# Usage: imaml_smoke.sh IMAML_OMNIGLOT_BINARY SCRATCH_DIR
source "$(dirname "${BASH_SOURCE[0]}")/smoke_setup.sh" || exit 1

"$bin" --n_way 3 --k_spt 1 --k_qry 2 --task_num 2 --epochs 1 --steps 3 --test_steps 3 \
  --inner_steps 2 --reg_params 1.5 --cg_iters 3 --threads 1 --out "$out/run" > "$out/run.log" 2>&1 ||
  { cat "$out/run.log"; fail "the run failed"; }
cat "$out/run.log"
grep -q "final held-out accuracy" "$out/run.log" || fail "no final accuracy line"
grep -q "2 inner SGD steps, λ = 1.5, 3 CG iterations" "$out/run.log" || fail "no settings line"
[ -s "$out/run/imaml-accs.svg" ] || fail "imaml-accs.svg missing"
tail -n 1 "$out/run/imaml-accs.svg" | grep -q "</svg>" || fail "imaml-accs.svg is not a complete SVG"
grep -q "iMAML Hershey glyphs (3-way 1-shot)" "$out/run/imaml-accs.svg" || fail "no plot title"
# Header, evaluations before and after the epoch, three meta-steps.
[ "$(wc -l < "$out/run/imaml-log.csv")" -eq 6 ] || fail "imaml-log.csv should have 6 lines"
[ "$(grep -c ",test," "$out/run/imaml-log.csv")" -eq 2 ] || fail "expected 2 test rows"
[ "$(grep -c ",train," "$out/run/imaml-log.csv")" -eq 3 ] || fail "expected 3 train rows"

# Every loss finite (a broken implicit meta-gradient turns the parameters into NaN), and the
# held-out accuracy after meta-training well above chance (1/3).
awk -F, 'NR > 1 && ($3 != $3 + 0 || $3 ~ /nan|inf/) { exit 1 }' "$out/run/imaml-log.csv" ||
  fail "a non-finite loss in imaml-log.csv"
tail -n 1 "$out/run/imaml-log.csv" | awk -F, '$2 == "test" && $4 > 50 { ok = 1 } END { exit !ok }' ||
  fail "held-out accuracy after meta-training not above 50%: $(tail -n 1 "$out/run/imaml-log.csv")"

# Without a CUDA device, --device cuda must fail with a message that says so.
check_device_flag --n_way 2 --k_spt 1 --k_qry 1 --task_num 1 --epochs 1 --steps 1 --test_steps 1 \
  --threads 1 --out "$out/cuda"

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
