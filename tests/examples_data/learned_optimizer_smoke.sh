#!/bin/bash
# Smoke run of examples/learned_optimizer with tiny sizes: meta-training must lower the meta-loss,
# the summary must list the learned optimizer, Adam and SGD, the learned one must lower the loss
# of the held-out functions, and the plot and log must be complete; bad flags fail clearly.
# Usage: learned_optimizer_smoke.sh LEARNED_OPTIMIZER_BINARY SCRATCH_DIR
source "$(dirname "${BASH_SOURCE[0]}")/smoke_setup.sh" || exit 1

"$bin" --iterations 40 --dim 4 --batch 8 --horizon 20 --unroll 10 --hidden 8 --eval 16 \
  --seed 2 --out "$out/run" > "$out/run.log" 2>&1 || { cat "$out/run.log"; fail "the run failed"; }
cat "$out/run.log"
grep -q "step 40/40 | loss " "$out/run.log" || fail "no progress line for the last iteration"
initial=$(sed -n 's/.*(at step 0: \([0-9.e+-]*\)).*/\1/p' "$out/run.log")
[ -n "$initial" ] || fail "no initial held-out loss"
for name in learned adam sgd; do
  line=$(grep -E "^ *$name( \(lr [0-9.]+\))?: step 1 " "$out/run.log") ||
    fail "no summary line for $name"
  # "learned: step 1 a | step 10 b | step 50 c | step 20 d": the last loss below half the start.
  last=$(echo "$line" | awk '{ print $NF }')
  awk -v a="$last" -v b="$initial" 'BEGIN { exit !(a < 0.5 * b) }' ||
    fail "$name did not lower the held-out loss: $line (initial $initial)"
done
svg="$out/run/learned-optimizer.svg"
[ -s "$svg" ] || fail "learned-optimizer.svg missing"
tail -n 1 "$svg" | grep -q "</svg>" || fail "learned-optimizer.svg is not a complete SVG"
csv="$out/run/learned-optimizer-log.csv"
[ "$(head -n 1 "$csv")" = "step,learned,adam,sgd" ] || fail "bad learned-optimizer-log.csv header"
[ "$(wc -l < "$csv")" -eq 21 ] || fail "learned-optimizer-log.csv should have 21 lines"

if "$bin" --unroll 0 > "$out/args.log" 2>&1; then fail "--unroll 0 accepted"; fi
grep -q "unroll expects an integer >= 1, got '0'" "$out/args.log" ||
  { cat "$out/args.log"; fail "bad --unroll: no clear error"; }
echo "learned_optimizer smoke run passed"
