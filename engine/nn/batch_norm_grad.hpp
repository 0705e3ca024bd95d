#pragma once

// Internal pieces of training-mode batch norm shared by norm_functional.cpp (the forward) and
// batch_norm_grad_functional.cpp (its gradient as an op of its own): the per-channel kernels'
// [N, C, S] views and the gradient op. Not part of the public API.

#include "engine/backend/backend.hpp"
#include "engine/tensor.hpp"

namespace metagrad::detail {

/// t's values (no history) in a layout whose dims 2.. merge into one: t itself or a contiguous
/// copy. t is [N, C, *].
Tensor channel_mergeable(const Tensor& t);

/// t's raw view, or a View with null data when t is undefined (an absent optional slot of
/// Backend::channel_coefficients).
View optional_view(const Tensor& t);

/// The raw [N, C, S] view of a channel_mergeable tensor [N, C, *] (S the product of dims 2..).
View ncs_view(const Tensor& t);

/// Per-channel statistics of a training-mode batch norm's input x [N, C, *], without history:
/// mean [C] and inv_std [C] = (biased variance + eps)^-1/2.
struct BatchNormStats {
  Tensor mean, inv_std;
};

/// Which of (input, weight, bias) a batch-norm gradient is wanted for.
struct BatchNormNeeds {
  bool input, weight, bias;
};

/// The gradients {dx, dw, db} of training-mode y = (x - mean) inv_std w + b for the output
/// gradient g (x's shape): with c = x - mean, s = inv_std and M values per channel (sums per
/// channel), dx = w s (g - Σg / M - c s² Σ(g c) / M), dw = s Σ(g c), db = Σg. w may be undefined
/// (then 1); stats are x's. Entries not in `needs` are undefined. Computed by two kernel passes;
/// with grad mode on and g, x or w requiring grad, dx and dw come from one recorded op,
/// "BatchNormGradBackward", whose backward is the closed-form second derivative (Note
/// [batch-norm double backward]), and db = Σg records the sum's backward, so every order of
/// derivative is exact.
TensorList batch_norm_grad(const Tensor& g, const Tensor& x, const Tensor& w,
                           const BatchNormStats& stats, double eps, BatchNormNeeds needs);

}  // namespace metagrad::detail
