#!/bin/bash
# Runs the tutorial 1 program (functional optimizers) and checks the numbers its notebook prints.
# Usage: tutorial1_smoke.sh BINARY SCRATCH_DIR
source "$(dirname "${BASH_SOURCE[0]}")/smoke_setup.sh" || exit 1
"$bin" > "$out/run.log" 2>&1 || { cat "$out/run.log"; fail "the run failed"; }
cat "$out/run.log"
log="$out/run.log"
# Adam's first step with lr 1 moves each parameter by -g / |g| = -1 up to rounding: TorchOpt's
# bias corrections, computed in float32 for float32 parameters (1 - 0.9 is 0.100000024 there),
# make the step 1 - 7 2^-20, so the weight 1 lands on 7 2^-20 = 6.6757e-06 and the bias 0 on
# -0.99999332 (printed -1.0000), as in the notebook. torch.optim.Adam's order of operations in
# float32 gives 1.1921e-07 (2^-23), as in the notebook.
[ "$(grep -c "^    Parameter containing: tensor(\[\[6.6757e-06\]\], requires_grad=True),$" "$log")" -eq 1 ] ||
  fail "functional adam: weight after update is not 6.6757e-06"
[ "$(grep -c "^    Parameter containing: tensor(\[-1.0000\], requires_grad=True),$" "$log")" -eq 1 ] ||
  fail "functional adam: bias after update is not -1.0000"
grep -q "^    tensor(\[\[6.6757e-06\]\], grad_fn=<AddBackward>),$" "$log" ||
  fail "FuncOptimizer: weight after update is not 6.6757e-06 with history"
grep -q "^    tensor(\[-1.0000\], grad_fn=<AddBackward>),$" "$log" ||
  fail "FuncOptimizer: bias after update is not -1.0000 with history"
grep -q "'fc.weight': Parameter containing: tensor(\[\[6.6757e-06\]\], requires_grad=True),$" "$log" ||
  fail "Optimizer(params, adam): weight after update is not 6.6757e-06"
[ "$(grep -c "'fc.bias': Parameter containing: tensor(\[-1.0000\], requires_grad=True),$" "$log")" -eq 2 ] ||
  fail "Optimizer(params, adam) and torch.optim.Adam's step: bias after update is not -1.0000"
grep -q "'fc.weight': Parameter containing: tensor(\[\[1.1921e-07\]\], requires_grad=True)," "$log" ||
  fail "torch.optim.Adam's step: weight after update is not 1.1921e-07"
[ "$(grep -c "Parameter containing: tensor(\[\[1.\]\], requires_grad=True)" "$log")" -eq 4 ] ||
  fail "the four Adam examples do not start from weight 1"
# d/dm of (w' + b' - 1)^2 with w' = -1, b' = -2 after one SGD step: 2 (-4) (-4) = 32.
grep -q "^Gradient for the meta-parameter: tensor(\[32.\])$" "$log" ||
  fail "the meta-parameter's gradient is not 32"
echo "tutorial1 smoke run passed"
