#!/bin/bash
# Runs the tutorial 2 program (make_dot) and checks the graphs it writes and the numbers it prints.
# Usage: tutorial2_smoke.sh BINARY SCRATCH_DIR
source "$(dirname "${BASH_SOURCE[0]}")/smoke_setup.sh" || exit 1
log="$out/run.log"
"$bin" "$out/graphs" > "$log" 2>&1 || { cat "$log"; fail "the run failed"; }
cat "$log"
grep -q "^y = 2 \* x = tensor(2., grad_fn=<MulBackward>)$" "$log" || fail "y = 2 x is not 2"

# has DOT_FILE TEXT: the DOT file contains TEXT (a fixed string).
has() { grep -qF -- "$2" "$out/graphs/$1.dot" || fail "$1.dot lacks: $2"; }
for name in multiplication net meta_net; do
  [ -s "$out/graphs/$name.dot" ] || fail "$name.dot missing"
  tail -n 1 "$out/graphs/$name.svg" | grep -q "</svg>" || fail "$name.svg is not a complete SVG"
done
# y = 2 x: the leaf x feeds AccumulateGrad, which feeds MulBackward, drawn as y (the output).
has multiplication 'leaf0 [label="x\n()" fillcolor=lightblue]'
has multiplication 'leaf0 -> fn1'
has multiplication 'fn1 [label="AccumulateGrad" fillcolor=lightgrey]'
has multiplication 'fn0 [label="MulBackward\ny\n()" fillcolor=lightblue]'
has multiplication 'out0 [label="y\n()" fillcolor=darkolivegreen1]'
# The network's loss: its parameters named by named_parameters(), the output by {"loss", loss}.
has net '[label="fc.weight\n(1, 5)" fillcolor=lightblue]'
has net '[label="fc.bias\n(1)" fillcolor=lightblue]'
has net 'out0 [label="loss\n()" fillcolor=darkolivegreen1]'
# The meta-learning step: initial parameters as step0.* leaves, MetaSGD's new ones as step1.*
# nodes, and the meta-parameter.
has meta_net '[label="step0.fc.weight\n(1, 5)" fillcolor=lightblue]'
has meta_net '[label="step0.fc.bias\n(1)" fillcolor=lightblue]'
has meta_net '[label="AddBackward\nstep1.fc.weight\n(1, 5)" fillcolor=lightblue]'
has meta_net '[label="AddBackward\nstep1.fc.bias\n(1)" fillcolor=lightblue]'
has meta_net '[label="meta_param\n()" fillcolor=lightblue]'
has meta_net 'out0 [label="loss\n()" fillcolor=darkolivegreen1]'

# Closed form of the meta step: with inputs of ones, each prediction is s = sum(w) + b + 1 and the
# inner loss (s - 1)^2; its gradient is 2 (s - 1) for each of the 5 weights and the bias, so SGD
# with lr 1e-3 gives s' - 1 = (1 - 6 * 2e-3) (s - 1) and the outer loss is 0.988^2 the inner loss.
awk '
  /^initial fc.weight:/ { gsub(/[^-0-9., ]/, "", $0); n = split($0, v, /[ ,]+/);
                          for (i = 1; i <= n; i++) if (v[i] != "") sw += v[i] }
  /^initial fc.bias:/   { gsub(/[^-0-9.]/, "", $3); b = $3 + 0 }
  /^inner loss:/        { inner = $3 }
  /^outer loss:/        { outer = $3 }
  END {
    d = sw + b;
    if (inner == "" || outer == "") { print "no inner or outer loss line"; exit 1 }
    if ((inner - d * d)^2 > (5e-4)^2) { printf "inner loss %s != (sum(w) + b)^2 = %g\n", inner, d * d; exit 1 }
    if ((outer - 0.988^2 * inner)^2 > (2e-6)^2) { printf "outer loss %s != 0.988^2 * %s\n", outer, inner; exit 1 }
  }' "$log" || fail "the meta step does not match its closed form"

if "$bin" --width > "$out/args.log" 2>&1; then fail "--width accepted"; fi
grep -q "unknown option '--width'" "$out/args.log" || { cat "$out/args.log"; fail "no clear error"; }
echo "tutorial2 smoke run passed"
