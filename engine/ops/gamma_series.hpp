#pragma once

// The series of the derivative of the regularized lower incomplete gamma function in its order
// (engine/ops/gamma_series.cpp). Internal, not part of the public API.
#include "engine/tensor.hpp"

namespace metagrad::detail {

/// d x / d a of a Gamma(a, 1) draw x held at its CDF value (Note [implicit gamma gradient]):
/// -(dF/da)(x; a) / f(x; a) from the CDF's series, summed in float64 in differentiable ops (so
/// it has derivatives of every order in x and a); x's dtype. x and a of one shape, a > 0, x > 0.
Tensor standard_gamma_grad(const Tensor& x, const Tensor& concentration);

}  // namespace metagrad::detail
