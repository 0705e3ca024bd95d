#pragma once

#include <functional>

#include "engine/tensor.hpp"

namespace metagrad {
/// \addtogroup engine_autograd
/// @{

/// A function of tensors to check: inputs -> outputs.
using CheckedFunction = std::function<TensorList(const TensorList&)>;

/// Tolerances of gradcheck / gradgradcheck (torch.autograd.gradcheck's defaults).
struct GradcheckOptions {
  /// Central-difference step.
  double eps = 1e-6;
  /// Absolute tolerance of the comparison.
  double atol = 1e-5;
  /// Relative tolerance of the comparison.
  double rtol = 1e-3;
  /// Throw an Error describing the first mismatch (true) or return false (false).
  bool raise_exception = true;
};

/// Compares the analytic Jacobian of `fn` (from grad()) with central finite differences, for every
/// input that requires grad and every float output. Inputs should be float64. Returns true when
/// |analytic - numeric| <= atol + rtol * |numeric| everywhere. Throws when no input requires grad.
bool gradcheck(const CheckedFunction& fn, const TensorList& inputs, GradcheckOptions options = {});

/// gradcheck of the gradient itself: checks (inputs, v) -> grad(fn(inputs), inputs, v,
/// create_graph) with random float64 v (or `grad_outputs` when given), which verifies second
/// derivatives (the backward of the backward). Throws when no input requires grad.
bool gradgradcheck(const CheckedFunction& fn, const TensorList& inputs,
                   const TensorList& grad_outputs = {}, GradcheckOptions options = {});

/// @}

}  // namespace metagrad
