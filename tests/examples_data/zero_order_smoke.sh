#!/bin/bash
# Smoke run of examples/zero_order with tiny sizes: it must finish, lower the training loss with
# each of the three estimators, write a complete plot and a log with one row per step, and fail
# clearly on bad flags.
# Usage: zero_order_smoke.sh ZERO_ORDER_BINARY SCRATCH_DIR
source "$(dirname "${BASH_SOURCE[0]}")/smoke_setup.sh" || exit 1

"$bin" --steps 20 --samples 30 --sigma 0.2 --lr 0.03 --dim 4 --hidden 4 --n 32 --seed 3 \
  --threads 2 --out "$out/run" > "$out/run.log" 2>&1 || { cat "$out/run.log"; fail "the run failed"; }
cat "$out/run.log"
grep -q "step 20/20 | loss " "$out/run.log" || fail "no progress line for the last step"
for method in naive forward antithetic backprop; do
  line=$(grep -E "^ *$method: loss " "$out/run.log") || fail "no summary line for $method"
  # "   forward: loss 1.2345 -> 0.6789 | ...": the last loss must be below 80 % of the first.
  echo "$line" | awk '{ exit !($5 < 0.8 * $3) }' || fail "$method did not lower the loss: $line"
done
svg="$out/run/zero-order.svg"
[ -s "$svg" ] || fail "zero-order.svg missing"
tail -n 1 "$svg" | grep -q "</svg>" || fail "zero-order.svg is not a complete SVG"
for label in naive forward antithetic backprop; do
  grep -q ">$label<" "$svg" || fail "zero-order.svg has no '$label' series"
done
csv="$out/run/zero-order-log.csv"
[ "$(head -n 1 "$csv")" = "step,naive,forward,antithetic,backprop" ] ||
  fail "bad zero-order-log.csv header"
[ "$(wc -l < "$csv")" -eq 21 ] || fail "zero-order-log.csv should have 21 lines"

if "$bin" --samples 0 > "$out/args.log" 2>&1; then fail "--samples 0 accepted"; fi
grep -q "samples expects an integer >= 1, got '0'" "$out/args.log" ||
  { cat "$out/args.log"; fail "bad --samples: no clear error"; }
if "$bin" --sigma wide > "$out/sigma.log" 2>&1; then fail "--sigma wide accepted"; fi
grep -q "sigma expects a finite number > 0, got 'wide'" "$out/sigma.log" ||
  { cat "$out/sigma.log"; fail "bad --sigma: no clear error"; }
check_device_flag --steps 2 --samples 2 --dim 2 --hidden 2 --n 4 --threads 1 --out "$out/cuda"
echo "zero_order smoke run passed"
