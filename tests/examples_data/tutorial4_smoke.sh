#!/bin/bash
# Runs the tutorial 4 program (stop_gradient) and checks its meta-gradients against the closed form
# for a quadratic loss, the Adam steps of the meta-parameter, the error without stop_gradient and
# the graphs it writes.
# Usage: tutorial4_smoke.sh BINARY SCRATCH_DIR
source "$(dirname "${BASH_SOURCE[0]}")/smoke_setup.sh" || exit 1
log="$out/run.log"
"$bin" "$out/graphs" > "$log" 2>&1 || { cat "$log"; fail "the run failed"; }
cat "$log"

# The loss mean((X w + b)^2) is quadratic in p = (w, b). After the inner step p1 = p0 - lr m g
# (g the gradient of the inner loss L0, lr = 0.1), the outer loss is
#   f = L0 - lr m |g|^2 + (lr m)^2 / 2 g'Hg,
# and its derivative with respect to m is lr (-|g|^2 + lr m g'Hg) = lr |g|^2 + 2 (f - L0) / m.
# The meta-parameter m is 1, then 1 - 0.1 sign(grad 1) after Adam's first step (1.1); its second
# Adam step uses both gradients (betas 0.9, 0.999, bias-corrected).
awk '
  /^check: / { n++; L0[n] = $4 + 0; f[n] = $7 + 0; g2[n] = $NF + 0 }
  /^meta_parameter.grad = / { k++; s = $0; gsub(/.*tensor\(|\).*/, "", s); grad[k] = s + 0 }
  /^meta_parameter = / { j++; s = $0; gsub(/.*tensor\(|,.*/, "", s); param[j] = s + 0 }
  function near(a, b, tol) { return (a - b)^2 <= tol^2 }
  END {
    if (n != 2 || k != 2 || j != 2) { print "expected two check, grad and parameter lines"; exit 1 }
    m[1] = 1;
    m[2] = param[1];
    for (i = 1; i <= 2; i++) {
      want = 0.1 * g2[i] + 2 * (f[i] - L0[i]) / m[i];
      if (!near(grad[i], want, 2e-4)) { printf "meta-gradient %d: %g, closed form %g\n", i, grad[i], want; exit 1 }
    }
    s1 = grad[1] > 0 ? 1 : -1;
    if (!near(param[1], 1 - 0.1 * s1, 1e-4)) { printf "after step 1: %g\n", param[1]; exit 1 }
    mu = 0.9 * 0.1 * grad[1] + 0.1 * grad[2]; nu = 0.999 * 0.001 * grad[1]^2 + 0.001 * grad[2]^2;
    want = param[1] - 0.1 * (mu / (1 - 0.9^2)) / (sqrt(nu / (1 - 0.999^2)) + 1e-8);
    if (!near(param[2], want, 1e-3)) { printf "after step 2: %g, expected %g\n", param[2], want; exit 1 }
    # The outer loss of the first bi-level step is the inner loss of the second.
    if (!near(f[1], L0[2], 1e-6)) { print "the second inner loss is not the first outer loss"; exit 1 }
    if (!(f[1] < L0[1] && f[2] < L0[2])) { print "the inner steps did not lower the loss"; exit 1 }
  }' "$log" || fail "the meta-gradients or the meta-parameter do not match their closed forms"

grep -q "^without stop_gradient, backward fails: .*backward through the graph a second time" "$log" ||
  fail "no 'backward through the graph a second time' error without stop_gradient"

# The graphs: the first bi-level step starts from the step0.* leaves; without stop_gradient the
# second one is joined to it (more nodes, still step0.* leaves); with stop_gradient it starts from
# the detached step1 parameters, which are leaves, and has the first step's shape.
dot() { cat "$out/graphs/$1.dot"; }
nodes() { grep -c '\[label=' "$out/graphs/$1.dot"; }
dot outer_loss | grep -qF 'label="step0.fc.weight\n(1, 16)" fillcolor=lightblue' ||
  fail "outer_loss.dot: no step0.fc.weight leaf"
dot outer_loss | grep -qF 'step1.fc.weight\n(1, 16)" fillcolor=lightblue' ||
  fail "outer_loss.dot: no step1.fc.weight node"
dot with_stop_gradient | grep -qF 'label="step1.detached.fc.weight\n(1, 16)" fillcolor=lightblue' ||
  fail "with_stop_gradient.dot: the detached weight is not a leaf"
if dot with_stop_gradient | grep -q 'step0\.'; then fail "with_stop_gradient.dot reaches step0"; fi
dot without_stop_gradient | grep -qF 'label="step0.fc.weight' ||
  fail "without_stop_gradient.dot does not reach step0"
[ "$(nodes with_stop_gradient)" -eq "$(nodes outer_loss)" ] ||
  fail "with stop_gradient the graph is not the first step's shape"
[ "$(nodes without_stop_gradient)" -gt "$(nodes outer_loss)" ] ||
  fail "without stop_gradient the graph is not larger"
for name in inner_loss outer_loss without_stop_gradient with_stop_gradient; do
  tail -n 1 "$out/graphs/$name.svg" | grep -q "</svg>" || fail "$name.svg is not a complete SVG"
done
echo "tutorial4 smoke run passed"
