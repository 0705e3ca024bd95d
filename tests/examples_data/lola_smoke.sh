#!/bin/bash
# A short run of examples/lola (128 games of 50 rounds, 60 updates, seed 3; about a second): the
# naive learners (0 lookaheads) must end up defecting (cooperation below 10 %, joint score below
# -1.9: mutual defection scores -2) and the LOLA agents (1 lookahead) cooperating (cooperation
# above 50 %, joint score above -1.5: mutual cooperation scores -1), as in TorchOpt's README plot.
# Usage: lola_smoke.sh LOLA_BINARY SCRATCH_DIR
source "$(dirname "${BASH_SOURCE[0]}")/smoke_setup.sh" || exit 1
log="$out/run.log"
"$bin" --batch 128 --len 50 --updates 60 --lookaheads 0,1 --seed 3 > "$log" 2>&1 ||
  { cat "$log"; fail "the run failed"; }
cat "$log"
[ "$(grep -c "^update [0-9]* score (" "$log")" -eq 14 ] || fail "expected 7 progress lines per run"
# "lookaheads N: joint score S | cooperation rate agent1 A agent2 B | mean M"
summary() { grep "^lookaheads $1: joint score " "$log" || fail "no summary for $1 lookaheads"; }
naive=$(summary 0)
lola=$(summary 1)
echo "$naive" | awk '{ exit !($5 < -1.9 && $15 < 0.1) }' || fail "naive learners do not defect: $naive"
echo "$lola" | awk '{ exit !($5 > -1.5 && $15 > 0.5) }' || fail "LOLA agents do not cooperate: $lola"

if "$bin" --lookaheads 1,x > "$out/args.log" 2>&1; then fail "--lookaheads 1,x accepted"; fi
grep -q -- "--lookaheads expects an integer >= 0, got 'x'" "$out/args.log" ||
  { cat "$out/args.log"; fail "bad --lookaheads: no clear error"; }
if "$bin" --baseline maybe > "$out/baseline.log" 2>&1; then fail "--baseline maybe accepted"; fi
grep -q -- "--baseline expects on or off, got 'maybe'" "$out/baseline.log" ||
  { cat "$out/baseline.log"; fail "bad --baseline: no clear error"; }
echo "lola smoke run passed"
