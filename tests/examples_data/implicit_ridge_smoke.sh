#!/bin/bash
# Smoke run of examples/implicit_ridge with tiny sizes: it must finish, pass its hypergradient
# check, lower the validation loss, write a complete plot and a log with one row per outer step,
# and fail clearly on bad flags.
# Usage: implicit_ridge_smoke.sh IMPLICIT_RIDGE_BINARY SCRATCH_DIR
source "$(dirname "${BASH_SOURCE[0]}")/smoke_setup.sh" || exit 1

for inner in direct cg; do
  "$bin" --n 20 --m 50 --t 100 --d 10 --k 3 --steps 30 --lr 0.2 --seed 3 --inner "$inner" \
    --out "$out/$inner" > "$out/$inner.log" 2>&1 ||
    { cat "$out/$inner.log"; fail "the run with --inner $inner failed"; }
  cat "$out/$inner.log"
  grep -q "outer step 30/30 | val MSE " "$out/$inner.log" || fail "no line for the last outer step"
  # The implicit hypergradient agrees with its closed form.
  err=$(sed -n 's/^hypergradient check at step 0: relative error against the closed form //p' \
    "$out/$inner.log")
  [ -n "$err" ] || fail "no hypergradient check line"
  awk -v e="$err" 'BEGIN { exit !(e < 1e-6) }' || fail "hypergradient relative error $err >= 1e-6"
  csv="$out/$inner/implicit-ridge-log.csv"
  [ "$(head -n 1 "$csv")" = \
    "step,val_mse,test_mse,train_mse,lambda_informative_gmean,lambda_noise_gmean,grad_norm" ] ||
    fail "bad implicit-ridge-log.csv header"
  # Header and steps 0..30.
  [ "$(wc -l < "$csv")" -eq 32 ] || fail "implicit-ridge-log.csv should have 32 lines"
  first=$(sed -n 2p "$csv" | cut -d, -f2)
  last=$(tail -n 1 "$csv" | cut -d, -f2)
  # The validation loss went down, by at least 10 %.
  awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < 0.9 * a) }' ||
    fail "validation MSE did not go down enough: $first -> $last"
  svg="$out/$inner/implicit-ridge.svg"
  [ -s "$svg" ] || fail "implicit-ridge.svg missing"
  tail -n 1 "$svg" | grep -q "</svg>" || fail "implicit-ridge.svg is not a complete SVG"
  for label in "Validation MSE (the outer loss)" "Test MSE" "best shared"; do
    grep -q "$label" "$svg" || fail "implicit-ridge.svg has no '$label' series"
  done
done

if "$bin" --inner newton > "$out/inner.log" 2>&1; then fail "--inner newton accepted"; fi
grep -q "inner expects 'direct' or 'cg', got 'newton'" "$out/inner.log" ||
  { cat "$out/inner.log"; fail "bad --inner: no clear error"; }
if "$bin" --d 3 --k 4 > "$out/k.log" 2>&1; then fail "--k > --d accepted"; fi
grep -q -- "--k (4) must not exceed --d (3)" "$out/k.log" ||
  { cat "$out/k.log"; fail "--k > --d: no clear error"; }
if "$bin" --lr -1 > "$out/lr.log" 2>&1; then fail "--lr -1 accepted"; fi
grep -q "lr expects a finite number > 0, got '-1'" "$out/lr.log" ||
  { cat "$out/lr.log"; fail "bad --lr: no clear error"; }
check_device_flag --n 5 --m 5 --t 5 --d 3 --k 1 --steps 1 --out "$out/cuda"
echo "implicit_ridge smoke run passed"
