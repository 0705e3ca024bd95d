#!/bin/bash
# Runs examples/mgrl (TorchOpt's 10000 outer iterations, about a second) and checks the learned
# discounts against the expected-gradient dynamics computed in closed form by mgrl_expected.py
# from the same initial value network: the discounts in front of a random reward go to about 0,
# the others towards 1, each within 0.05 of the closed form.
# Usage: mgrl_smoke.sh MGRL_BINARY SCRATCH_DIR
source "$(dirname "${BASH_SOURCE[0]}")/smoke_setup.sh" || exit 1
log="$out/run.log"
"$bin" --seed 0 > "$log" 2>&1 || { cat "$log"; fail "the run failed"; }
cat "$log"
[ "$(grep -c "^epoch [0-9]* | gamma: \[" "$log")" -eq 100 ] || fail "expected 100 progress lines"
grep -q "^epoch 0 | gamma: \[0.50" "$log" || fail "the discounts do not start at sigmoid(0) = 0.5"
got=$(sed -n 's/^mean gamma over the last 2000 iterations: \[\(.*\)\]$/\1/p' "$log" | tr -d ',')
[ -n "$got" ] || fail "no final discounts"
want=$(python3 "$(dirname "${BASH_SOURCE[0]}")/mgrl_expected.py" "$log" 10000 2000 | tr '\n' ' ') ||
  fail "mgrl_expected.py failed"
echo "closed form: $want"
awk -v got="$got" -v want="$want" 'BEGIN {
  n = split(got, g, " "); m = split(want, w, " ");
  if (n != 9 || m != 9) { print "expected 9 discounts"; exit 1 }
  for (k = 1; k <= 9; k++) {
    if ((g[k] - w[k])^2 > 0.05^2) { printf "discount %d: %s, closed form %s\n", k - 1, g[k], w[k]; exit 1 }
    # gamma_k multiplies the target of step k + 1: a random reward when k is odd.
    if (k % 2 == 0 && g[k] > 0.1) { printf "discount %d did not fall: %s\n", k - 1, g[k]; exit 1 }
    if (k % 2 == 1 && g[k] < 0.8) { printf "discount %d did not rise: %s\n", k - 1, g[k]; exit 1 }
  }
}' || fail "the learned discounts do not match the closed form"

if "$bin" --iters 10 --average-last 20 > "$out/args.log" 2>&1; then fail "--average-last > --iters accepted"; fi
grep -q -- "--average-last (20) must not exceed --iters (10)" "$out/args.log" ||
  { cat "$out/args.log"; fail "--average-last > --iters: no clear error"; }
echo "mgrl smoke run passed"
