#!/bin/bash
# Smoke run of examples/maml_sinusoid with tiny sizes: it must finish, print the evaluation, write
# a complete plot and a log with one row per iteration, and fail clearly on bad flags.
# Usage: sinusoid_smoke.sh MAML_SINUSOID_BINARY SCRATCH_DIR
source "$(dirname "${BASH_SOURCE[0]}")/smoke_setup.sh" || exit 1

"$bin" --task_num 2 --iterations 3 --k_shot 5 --test_tasks 3 --seed 7 --threads 1 \
  --out "$out/run" > "$out/run.log" 2>&1 || { cat "$out/run.log"; fail "the run failed"; }
cat "$out/run.log"
grep -q "after meta-training: mean test MSE over 3 tasks: pre-adaptation" "$out/run.log" ||
  fail "no mean test MSE line"
grep -q "after meta-training: test task 0 (A = " "$out/run.log" || fail "no test task line"
grep -q "step 3/3 | loss " "$out/run.log" || fail "no progress line for the last iteration"
grep -q "acc" "$out/run.log" && fail "the progress line shows an accuracy"
svg="$out/run/maml-sinusoid.svg"
[ -s "$svg" ] || fail "maml-sinusoid.svg missing"
tail -n 1 "$svg" | grep -q "</svg>" || fail "maml-sinusoid.svg is not a complete SVG"
for label in "True curve" "Pre-adaptation" "After 1 step" "After 10 steps" "5 support points"; do
  grep -q "$label" "$svg" || fail "maml-sinusoid.svg has no '$label' series"
done
# One marker per support point.
[ "$(grep -c "<circle" "$svg")" -eq 5 ] || fail "expected 5 support point markers"
csv="$out/run/maml-sinusoid-log.csv"
[ "$(head -n 1 "$csv")" = "iteration,meta_train_loss" ] || fail "bad maml-sinusoid-log.csv header"
# Header and three iterations.
[ "$(wc -l < "$csv")" -eq 4 ] || fail "maml-sinusoid-log.csv should have 4 lines"
[ "$(tail -n 1 "$csv" | cut -d, -f1)" = "3" ] || fail "the last row is not iteration 3"

check_device_flag --task_num 1 --iterations 1 --k_shot 2 --test_tasks 1 --out "$out/cuda"

if "$bin" --task_num 0 > "$out/args.log" 2>&1; then fail "--task_num 0 accepted"; fi
grep -q "task_num expects an integer >= 1, got '0'" "$out/args.log" ||
  { cat "$out/args.log"; fail "bad --task_num: no clear error"; }
if "$bin" --inner_lr fast > "$out/lr.log" 2>&1; then fail "--inner_lr fast accepted"; fi
grep -q "inner_lr expects a finite number > 0, got 'fast'" "$out/lr.log" ||
  { cat "$out/lr.log"; fail "bad --inner_lr: no clear error"; }
if "$bin" --epochs 3 > "$out/flag.log" 2>&1; then fail "unknown --epochs accepted"; fi
grep -q "unknown option '--epochs'" "$out/flag.log" ||
  { cat "$out/flag.log"; fail "unknown flag: no clear error"; }
echo "maml_sinusoid smoke run passed"
