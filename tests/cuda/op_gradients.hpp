#pragma once

// The gradients the CUDA suite compares for an op of the table (op_cases.hpp): of a weighted sum of
// the op's outputs with respect to its inputs that require grad, and of the squared norm of those
// gradients (double backward). backward_test.cpp compares them across devices,
// layout_invariance_test.cpp across input layouts.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "metagrad.hpp"
#include "tests/cuda/op_cases.hpp"

namespace metagrad::testing {

// The float inputs that require grad.
inline TensorList differentiable_inputs(const TensorList& inputs) {
  TensorList wrt;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) wrt.push_back(t);
  return wrt;
}

// sum_k sum(out_k * w_k) in float64 over the float outputs that require grad, with fixed weights
// w_k (the same on both devices), or undefined when no output requires grad.
inline Tensor weighted_loss(const TensorList& outputs) {
  Tensor loss;
  for (size_t k = 0; k < outputs.size(); ++k) {
    const Tensor& out = outputs[k];
    if (!out.defined() || !out.requires_grad()) continue;
    const Tensor w = uniform(out.shape(), out.dtype(), 500 + k, -1.0, 1.0, false).to(out.device());
    const Tensor term = (out * w).sum().to(kFloat64);  // outputs may differ in dtype
    loss = loss.defined() ? loss + term : term;
  }
  return loss;
}

// Gradients of the weighted loss of `c` at `inputs`; with `second_order`, the gradients of
// sum_i sum(g_i^2) instead (grads taken with create_graph). Undefined entries for unused inputs;
// an empty list when nothing requires grad.
inline TensorList gradients(const OpCase& c, const TensorList& inputs, bool second_order) {
  const TensorList wrt = differentiable_inputs(inputs);
  const Tensor loss = weighted_loss(c.fn(inputs));
  if (!loss.defined() || wrt.empty()) return {};
  GradOptions options;
  options.create_graph = second_order;
  options.allow_unused = true;
  const TensorList g = grad({loss}, wrt, {}, options);
  if (!second_order) return g;
  Tensor norm;
  for (const Tensor& gi : g) {
    if (!gi.defined() || !gi.requires_grad()) continue;
    const Tensor term = (gi * gi).sum().to(kFloat64);
    norm = norm.defined() ? norm + term : term;
  }
  if (!norm.defined()) return {};
  GradOptions unused;
  unused.allow_unused = true;
  return grad({norm}, wrt, {}, unused);
}

// The largest output of `c` bounds the sums of a backward pass (sum_to over broadcasts, the
// weighted loss): scales the float32 tolerance.
inline int64_t backward_reduction(const OpCase& c, const TensorList& cpu_out) {
  int64_t n = c.reduction;
  for (const Tensor& t : cpu_out)
    if (t.defined()) n = std::max(n, t.numel());
  return n;
}

}  // namespace metagrad::testing
