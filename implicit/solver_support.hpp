#pragma once

#include <cstdint>
#include <optional>

#include "engine/tensor.hpp"
#include "implicit/linalg.hpp"

// Argument checks shared by the iterative solvers (internal to implicit/).

namespace metagrad::linalg::detail {

/// Checks a right-hand side: a non-empty list of defined floating tensors of one dtype and device.
void check_rhs(const char* op, const TensorList& b);
/// Checks that `x` (named `what`) has b's structure: length, shapes, dtypes and devices.
void check_like(const char* op, const char* what, const TensorList& x, const TensorList& b);
/// Checks that rtol and atol are finite and non-negative.
void check_tolerances(const char* op, double rtol, double atol);
/// `maxiter` when given (checked non-negative), else `factor` × numel(b) (checked for overflow).
int64_t resolve_maxiter(const char* op, const std::optional<int64_t>& maxiter, const TensorList& b,
                        int64_t factor);
/// The initial guess: x0 (checked against b) when given, else zeros shaped like b.
TensorList initial_guess(const char* op, const std::optional<TensorList>& x0, const TensorList& b);
/// M(x), or x when M is absent.
TensorList apply_preconditioner(const std::optional<Operator>& M, const TensorList& x);

}  // namespace metagrad::linalg::detail
