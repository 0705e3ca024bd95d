#!/bin/bash
# Runs the tutorial 1 program (functional optimizers) and checks the numbers its notebook prints.
# Usage: tutorial1_smoke.sh BINARY SCRATCH_DIR
source "$(dirname "${BASH_SOURCE[0]}")/smoke_setup.sh" || exit 1
"$bin" > "$out/run.log" 2>&1 || { cat "$out/run.log"; fail "the run failed"; }
cat "$out/run.log"
log="$out/run.log"
# Adam's first step with lr 1 moves each parameter by -g / |g| = -1: the weight 1 becomes 0 and
# the bias 0 becomes -1 (TorchOpt prints 6.6757e-06 for the weight: its bias corrections carry
# float32 rounding, metagrad's are exact). torch.optim.Adam's order of operations in float32 gives
# 1.1921e-07 (2^-23), as in the notebook.
[ "$(grep -c "^    Parameter containing: tensor(\[\[0.\]\], requires_grad=True),$" "$log")" -eq 1 ] ||
  fail "functional adam: weight after update is not 0"
[ "$(grep -c "^    Parameter containing: tensor(\[-1.\], requires_grad=True),$" "$log")" -eq 1 ] ||
  fail "functional adam: bias after update is not -1"
grep -q "^    tensor(\[\[0.\]\], grad_fn=<AddBackward>),$" "$log" ||
  fail "FuncOptimizer: weight after update is not 0 with history"
grep -q "^    tensor(\[-1.\], grad_fn=<AddBackward>),$" "$log" ||
  fail "FuncOptimizer: bias after update is not -1 with history"
grep -q "'fc.weight': Parameter containing: tensor(\[\[0.\]\], requires_grad=True),$" "$log" ||
  fail "Optimizer(params, adam): weight after update is not 0"
grep -q "'fc.bias': Parameter containing: tensor(\[-1.\], requires_grad=True),$" "$log" ||
  fail "Optimizer(params, adam): bias after update is not -1"
grep -q "'fc.weight': Parameter containing: tensor(\[\[1.1921e-07\]\], requires_grad=True)," "$log" ||
  fail "torch.optim.Adam's step: weight after update is not 1.1921e-07"
grep -q "'fc.bias': Parameter containing: tensor(\[-1.0000\], requires_grad=True),$" "$log" ||
  fail "torch.optim.Adam's step: bias after update is not -1.0000"
[ "$(grep -c "Parameter containing: tensor(\[\[1.\]\], requires_grad=True)" "$log")" -eq 4 ] ||
  fail "the four Adam examples do not start from weight 1"
# d/dm of (w' + b' - 1)^2 with w' = -1, b' = -2 after one SGD step: 2 (-4) (-4) = 32.
grep -q "^Gradient for the meta-parameter: tensor(\[32.\])$" "$log" ||
  fail "the meta-parameter's gradient is not 32"
echo "tutorial1 smoke run passed"
