#!/bin/bash
# Smoke run of examples/l2r with tiny sizes: bad flags and a missing data folder must fail with a
# clear message; with the Fashion-MNIST files installed (dataset-fashion-mnist) the run must
# finish and write a complete plot and a log with one row per evaluation. Without the files the
# test is skipped (exit 77) after the error checks.
# Usage: l2r_smoke.sh L2R_BINARY SCRATCH_DIR
source "$(dirname "${BASH_SOURCE[0]}")/smoke_setup.sh" || exit 1
data=/usr/share/datasets/fashion-mnist

if "$bin" --data-root "$out/nowhere" --out "$out/missing" > "$out/missing.log" 2>&1; then
  fail "a missing --data-root succeeded"
fi
grep -q "nowhere/train-images-idx3-ubyte.gz' not found" "$out/missing.log" &&
  grep -q "dataset-fashion-mnist" "$out/missing.log" ||
  { cat "$out/missing.log"; fail "missing --data-root: no clear error"; }

if "$bin" --ratio 0.3 > "$out/ratio.log" 2>&1; then fail "--ratio 0.3 accepted"; fi
grep -q -- "--ratio expects a number in \[0.5, 1\], got '0.3'" "$out/ratio.log" ||
  { cat "$out/ratio.log"; fail "bad --ratio: no clear error"; }
if "$bin" --classes 3,3 > "$out/classes.log" 2>&1; then fail "--classes 3,3 accepted"; fi
grep -q -- "--classes expects two different labels" "$out/classes.log" ||
  { cat "$out/classes.log"; fail "bad --classes: no clear error"; }
if "$bin" --stepz 3 > "$out/flag.log" 2>&1; then fail "--stepz accepted"; fi
grep -q "unknown option '--stepz'" "$out/flag.log" || { cat "$out/flag.log"; fail "no clear error"; }

if [ ! -d "$data" ]; then
  echo "SKIP: $data not found (install dataset-fashion-mnist)"
  exit 77
fi

"$bin" --steps 3 --eval-every 2 --train 200 --batch 20 --noise 0.1 --threads 1 \
  --out "$out/run" > "$out/run.log" 2>&1 || { cat "$out/run.log"; fail "the run failed"; }
cat "$out/run.log"
grep -q "final test accuracy: baseline" "$out/run.log" || fail "no final accuracy line"
grep -q "(20 labels flipped)" "$out/run.log" || fail "--noise 0.1 of 200 should flip 20 labels"
[ -s "$out/run/l2r-accs.svg" ] || fail "l2r-accs.svg missing"
tail -n 1 "$out/run/l2r-accs.svg" | grep -q "</svg>" || fail "l2r-accs.svg is not a complete SVG"
grep -q "Baseline" "$out/run/l2r-accs.svg" && grep -q "L2R" "$out/run/l2r-accs.svg" ||
  fail "l2r-accs.svg lacks a series"
# Header, then evaluations at steps 0, 2 and 3 for each method.
[ "$(wc -l < "$out/run/l2r-log.csv")" -eq 7 ] || fail "l2r-log.csv should have 7 lines"
[ "$(grep -c "^baseline,[023]," "$out/run/l2r-log.csv")" -eq 3 ] || fail "expected 3 baseline rows"
[ "$(grep -c "^l2r,[023]," "$out/run/l2r-log.csv")" -eq 3 ] || fail "expected 3 l2r rows"
check_device_flag --steps 1 --eval-every 1 --train 40 --batch 20 --threads 1 --out "$out/cuda"
echo "l2r smoke run passed"
